package dev.cnf.workers.cli;

import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.datasets.GalleryServer;
import dev.cnf.workers.WorkerHost;
import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workers.embedded.EmbeddedTemporal;
import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.pipeline.PipelineResult;
import dev.cnf.workflows.pipeline.PipelineWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Durability for real: a worker process is killed with SIGKILL mid-training; after Temporal's
 * heartbeat timeout the train activity is retried on a fresh worker process, resumes from the last
 * checkpoint in S3, and ends with weights bitwise identical to an uninterrupted run, with the dataset streamed through
 * a shuffle buffer smaller than the split and augmented views.
 */
class WorkerKillTest {
    @Test
    @Tag("e2e")
    @Tag("slow")
    @Tag("bitwise")
    @SuppressWarnings({"rawtypes", "unchecked"})
    void killedWorkerResumesFromCheckpointToIdenticalWeights(@TempDir Path dir) throws Exception {
        try (EmbeddedTemporal temporal = EmbeddedTemporal.startTestServer("the test's Temporal");
             EmbeddedS3 s3 = EmbeddedS3.start(dir);
             GalleryServer gallery = GalleryServer.start(8, 96, 21)) {
            ObjectStore store = new ObjectStore(s3.config("kill"));
            store.ensureBucket();
            // The GPU worker (train, evaluate) is the process that dies, as on a cluster; workflow and data
            // stages run on a CPU worker in this JVM.
            List<String> workerArgs = List.of("worker", "--queues", TaskQueues.GPU, "--temporal", temporal.target(), "--s3", s3.endpoint(),
                    "--s3-access-key", EmbeddedS3.ACCESS_KEY, "--s3-secret-key", EmbeddedS3.SECRET_KEY, "--bucket", "kill", "--http-port", "-1");
            WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(
                    WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
            WorkflowClient client = WorkflowClient.newInstance(service);
            WorkerHost cpu = new WorkerHost(client, store, new WorkerHost.Settings(Set.of(TaskQueues.CPU), List.of(),
                    Set.of(gallery.hostPort()), 2, 1));
            cpu.start();
            PipelineInput input = dev.cnf.workers.Inputs.of("name", "kill", "sources", List.of(gallery.url()), "resolution", 64,
                    "baseModel", "random", "trainSteps", 60, "batchSize", 4, "learningRate", 1e-3, "seed", 9, "checkpointEvery", 10,
                    "evalSamples", 1, "evalSteps", 2, "probeEvery", 30,
                    // the streaming order with a shuffle buffer smaller than the split, and augmented views: resumed mid-epoch too
                    "shuffleBuffer", 3, "augment", List.of("flip", "crop"));

            Path logs = Path.of("target", "worker-kill-test");
            java.nio.file.Files.createDirectories(logs);
            Process first = startWorker(workerArgs, logs.resolve("worker-1.log"));
            Process second = null;
            try {
                WorkflowClient.start(stub(client, "killed")::run, input);
                // Wait until training has committed a checkpoint, then kill the worker without warning.
                long deadline = System.currentTimeMillis() + 180_000;
                while (store.list("runs/killed/").stream().noneMatch(k -> k.contains("/train/checkpoints/") && k.endsWith("state.json"))) {
                    assertTrue(System.currentTimeMillis() < deadline, "no checkpoint within 3 minutes");
                    assertTrue(first.isAlive(), "worker died on its own; see " + logs.resolve("worker-1.log"));
                    Thread.sleep(100);
                }
                first.destroyForcibly(); // SIGKILL on Linux
                assertTrue(first.waitFor(30, TimeUnit.SECONDS));
                second = startWorker(workerArgs, logs.resolve("worker-2.log"));
                PipelineResult killed = client.newUntypedWorkflowStub("killed").getResult(6, TimeUnit.MINUTES, PipelineResult.class);
                assertEquals(60, killed.trainSteps());

                PipelineResult straight = stub(client, "straight").run(input);
                assertEquals(60, straight.trainSteps());
                byte[] a = store.get(only(store, "runs/killed/", "/train/controlnet.safetensors"));
                byte[] b = store.get(only(store, "runs/straight/", "/train/controlnet.safetensors"));
                assertArrayEquals(b, a, "weights after SIGKILL + resume equal the uninterrupted run's");
                List<Map> resumes = Json.readLines(store.get(only(store, "runs/killed/", "/train/metrics.jsonl")), Map.class).stream()
                        .filter(m -> "resume".equals(m.get("kind"))).toList();
                assertEquals(1, resumes.size(), "the retried attempt resumed from a checkpoint");
                assertTrue(((Number) resumes.get(0).get("step")).intValue() >= 10, "resumed past step 0: " + resumes);
                assertTrue(Json.readLines(store.get(only(store, "runs/straight/", "/train/metrics.jsonl")), Map.class).stream()
                        .noneMatch(m -> "resume".equals(m.get("kind"))), "the uninterrupted run never resumed");
            } finally {
                first.destroyForcibly();
                if (second != null) {
                    second.destroyForcibly();
                }
                cpu.close();
                service.shutdownNow();
            }
        }
    }

    static PipelineWorkflow stub(WorkflowClient client, String id) {
        return client.newWorkflowStub(PipelineWorkflow.class, WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.CPU).setWorkflowId(id).build());
    }

    static String only(ObjectStore store, String prefix, String suffix) {
        List<String> keys = store.list(prefix).stream().filter(k -> k.endsWith(suffix)).toList();
        assertEquals(1, keys.size(), keys.toString());
        return keys.get(0);
    }

    /** A worker in its own JVM, on this test's classpath, as `cnf worker` would run. */
    static Process startWorker(List<String> args, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Djava.awt.headless=true", "-Xmx3g",
                "-cp", System.getProperty("java.class.path"), CnfCli.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
