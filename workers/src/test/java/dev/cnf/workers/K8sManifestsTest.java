package dev.cnf.workers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cnf.model.Prerequisites;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Parses every manifest under k8s/ and checks what operators rely on. */
class K8sManifestsTest {
    static final Path K8S = Path.of("..", "k8s");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static List<JsonNode> docs(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (YAMLParser p = new YAMLFactory().createParser(file.toFile())) {
            for (var it = YAML.readValues(p, JsonNode.class); it.hasNext(); ) {
                JsonNode n = it.next();
                if (n != null && !n.isEmpty()) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    static Map<String, JsonNode> byName() throws IOException {
        Map<String, JsonNode> out = new HashMap<>();
        try (Stream<Path> files = Files.walk(K8S)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                for (JsonNode d : docs(f)) {
                    out.put(d.path("kind").asText("Values") + "/" + d.path("metadata").path("name").asText(f.getFileName().toString()), d);
                }
            }
        }
        return out;
    }

    @Test
    void everyManifestParsesAndEveryKustomizationResourceExists() throws IOException {
        try (Stream<Path> files = Files.walk(K8S)) {
            List<Path> kustomizations = files.filter(f -> f.getFileName().toString().equals("kustomization.yaml")).toList();
            assertEquals(3, kustomizations.size(), "base + dev + gpu");
            for (Path k : kustomizations) {
                for (JsonNode r : docs(k).get(0).path("resources")) {
                    assertTrue(Files.exists(k.getParent().resolve(r.asText())), k + " lists missing " + r.asText());
                }
            }
        }
        assertFalse(byName().isEmpty());
    }

    static void checkWorker(JsonNode deployment, String queue) {
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        JsonNode c = pod.path("containers").get(0);
        assertTrue(c.path("image").asText().startsWith("ghcr.io/cnf/cnf-worker:"), "image");
        assertTrue(c.path("args").toString().contains(queue), "polls " + queue);
        for (String kind : List.of("requests", "limits")) {
            assertFalse(c.path("resources").path(kind).path("cpu").isMissingNode(), kind + ".cpu");
            assertFalse(c.path("resources").path(kind).path("memory").isMissingNode(), kind + ".memory");
        }
        assertEquals("/healthz", c.path("livenessProbe").path("httpGet").path("path").asText());
        assertEquals("/readyz", c.path("readinessProbe").path("httpGet").path("path").asText());
        List<String> secretKeys = new ArrayList<>();
        c.path("env").forEach(e -> {
            JsonNode ref = e.path("valueFrom").path("secretKeyRef");
            if (!(ref instanceof MissingNode)) {
                assertEquals("cnf-s3", ref.path("name").asText());
                secretKeys.add(e.path("name").asText());
            }
        });
        assertEquals(List.of("CNF_S3_ACCESS_KEY", "CNF_S3_SECRET_KEY"), secretKeys, "credentials only from the Secret");
        assertEquals("cnf-config", c.path("envFrom").get(0).path("configMapRef").path("name").asText());
    }

    @Test
    void workersHaveImagesResourcesProbesSecretsAndGpuPlacement() throws IOException {
        Map<String, JsonNode> all = byName();
        checkWorker(all.get("Deployment/cnf-worker-cpu"), "cnf-cpu");
        JsonNode gpu = all.get("Deployment/cnf-worker-gpu");
        checkWorker(gpu, "cnf-gpu");
        JsonNode pod = gpu.path("spec").path("template").path("spec");
        JsonNode res = pod.path("containers").get(0).path("resources");
        assertEquals(1, res.path("limits").path("nvidia.com/gpu").asInt());
        assertEquals(1, res.path("requests").path("nvidia.com/gpu").asInt());
        assertEquals("true", pod.path("nodeSelector").path("nvidia.com/gpu.present").asText());
        assertEquals("nvidia.com/gpu", pod.path("tolerations").get(0).path("key").asText());
        for (String worker : List.of("Deployment/cnf-worker-cpu", "Deployment/cnf-worker-gpu")) {
            // weights, checkpoints and base models pass through java.io.tmpdir: a sized scratch volume, not the image's layer
            JsonNode spec = all.get(worker).path("spec").path("template").path("spec");
            assertEquals("/tmp", spec.path("containers").get(0).path("volumeMounts").get(0).path("mountPath").asText(), worker);
            assertEquals("scratch", spec.path("volumes").get(0).path("name").asText(), worker);
            assertFalse(spec.path("volumes").get(0).path("emptyDir").path("sizeLimit").asText().isBlank(), worker);
        }
        JsonNode hpa = all.get("HorizontalPodAutoscaler/cnf-worker-cpu");
        assertEquals("cnf-worker-cpu", hpa.path("spec").path("scaleTargetRef").path("name").asText());
        assertTrue(hpa.path("spec").path("maxReplicas").asInt() > hpa.path("spec").path("minReplicas").asInt());
        JsonNode config = all.get("ConfigMap/cnf-config").path("data");
        for (String key : List.of("CNF_TEMPORAL", "CNF_S3_ENDPOINT", "CNF_S3_BUCKET")) {
            assertFalse(config.path(key).asText().isBlank(), key);
        }
        assertFalse(config.has("CNF_S3_SECRET_KEY"), "no secrets in the ConfigMap");
    }

    /**
     * Airflow itself (3.3.2 with the cncf.kubernetes provider, the project's virtualenv) loads every DAG of k8s/airflow
     * in a DagBag, and the KubernetesPodOperator's own code builds each task's pod (airflow_pods.py).
     */
    @Test
    void airflowLoadsTheDagsAndBuildsThePodsWeIntend(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path python = Path.of("..", ".venv", "airflow", "bin", "python").toAbsolutePath().normalize();
        Prerequisites.require(Files.isExecutable(python), "the Airflow virtualenv .venv/airflow (scripts/python-env.sh airflow)");
        Path out = dir.resolve("pods.json");
        Process p = new ProcessBuilder(python.toString(), Path.of("src", "test", "python", "airflow_pods.py").toString(),
                K8S.resolve("airflow").toString(), out.toString()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        JsonNode loaded = new ObjectMapper().readTree(out.toFile());
        assertEquals(0, loaded.get("importErrors").size(), "DAG import errors: " + loaded.get("importErrors"));
        Map<String, JsonNode> dags = new HashMap<>();
        loaded.get("dags").forEach(d -> dags.put(d.get("dagId").asText(), d));
        assertEquals(java.util.Set.of("cnf_pipeline", "cnf_weekly_retrain"), dags.keySet());
        assertEquals("0 3 * * 1", dags.get("cnf_weekly_retrain").get("schedule").asText(), "Mondays 03:00 UTC, as k8s/README.md says");
        assertTrue(Files.readString(K8S.resolve("README.md")).contains("0 3 * * 1"), "the operator guide documents the schedule");

        for (JsonNode dag : dags.values()) {
            assertEquals(2, dag.get("tasks").size(), dag.toString());
            for (JsonNode task : dag.get("tasks")) {
                JsonNode container = task.get("pod").get("spec").get("containers").get(0);
                String where = dag.get("dagId").asText() + "." + task.get("taskId").asText();
                assertEquals("ghcr.io/cnf/cnf-worker:0.1.0", container.get("image").asText(), where);
                assertEquals("cnf-config", container.get("envFrom").get(0).get("configMapRef").get("name").asText(), where);
                // the pods start runs and read results; training runs on the GPU worker Deployment (its GPU limit and
                // toleration are checked above), so no task pod asks for a GPU
                assertFalse(container.path("resources").path("limits").has("nvidia.com/gpu"), where);
                assertEquals(0, task.get("pod").get("spec").get("tolerations").size(), where);
                List<String> args = new ArrayList<>();
                container.get("args").forEach(a -> args.add(a.asText()));
                Map<String, String> secrets = new HashMap<>();
                container.get("env").forEach(e -> secrets.put(e.get("name").asText(),
                        e.path("valueFrom").path("secretKeyRef").path("name").asText() + "/" + e.path("valueFrom").path("secretKeyRef").path("key").asText()));
                if (args.get(0).equals("run")) {
                    assertEquals(List.of("run", "--wait", "--json", "--workflow-id"), args.subList(0, 4), where);
                    String input = args.get(args.indexOf("--input") + 1);
                    JsonNode parsed = new ObjectMapper().readTree(input);
                    if (dag.get("dagId").asText().equals("cnf_pipeline")) {
                        assertEquals("cnf-airflow-manual__2026-11-30T03-00-00-00-00", args.get(4), "one workflow per DAG run");
                        assertEquals("{}", input, "the DAG's input parameter, {} by default");
                    } else {
                        assertEquals("cnf-retrain-20261130", args.get(4), "one workflow per logical date: a re-run attaches");
                        assertTrue(parsed.get("onlyNewData").asBoolean() && parsed.get("continueFromLatest").asBoolean(), input);
                    }
                    assertEquals("/airflow/xcom/return.json", args.get(args.indexOf("--result-file") + 1), where);
                    assertTrue(secrets.isEmpty(), "starting a run needs no storage credentials: " + where);
                } else {
                    // the version the run task published, from its XCom (airflow_pods.py's sample result)
                    assertEquals(List.of("models", "show", "controlnet-canny", "20261130-030000-0a1b2c3d"), args, where);
                    assertEquals(1, task.get("upstream").size(), "after the run: " + where);
                    assertEquals(Map.of("CNF_S3_ACCESS_KEY", "cnf-s3/accessKey", "CNF_S3_SECRET_KEY", "cnf-s3/secretKey"), secrets,
                            "credentials only from the cnf-s3 Secret: " + where);
                }
            }
        }
    }
}
