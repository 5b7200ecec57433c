package dev.cnf.workers;

import com.fasterxml.jackson.databind.JsonNode;
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

    @Test
    void airflowDagsCompileWherePythonIsInstalled() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Prerequisites.require(Files.isExecutable(python), "/usr/bin/python3");
        try (Stream<Path> dags = Files.list(K8S.resolve("airflow"))) {
            List<Path> files = dags.filter(f -> f.toString().endsWith(".py")).toList();
            assertEquals(2, files.size());
            for (Path dag : files) {
                Process p = new ProcessBuilder(python.toString(), "-c",
                        "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')", dag.toString())
                        .redirectErrorStream(true).start();
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue(), dag + ": " + new String(p.getInputStream().readAllBytes()));
            }
        }
    }
}
