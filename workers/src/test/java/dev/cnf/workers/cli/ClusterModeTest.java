package dev.cnf.workers.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.datasets.GalleryServer;
import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workers.embedded.EmbeddedTemporal;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The cluster path: `cnf worker` and `cnf run` / `cnf status` as separate clients of a Temporal
 * server and an S3 endpoint they reach only through their flags.
 */
class ClusterModeTest {
    @Test
    @Tag("e2e")
    void workerRunAndStatusAgainstExternalServers(@TempDir Path dir) throws Exception {
        try (EmbeddedTemporal temporal = EmbeddedTemporal.start();
             EmbeddedS3 s3 = EmbeddedS3.start(dir);
             GalleryServer gallery = GalleryServer.start(6, 96, 11)) {
            WorkerCommand worker = new WorkerCommand();
            new CommandLine(worker).parseArgs("--temporal", temporal.target(), "--s3", s3.endpoint(),
                    "--s3-access-key", EmbeddedS3.ACCESS_KEY, "--s3-secret-key", EmbeddedS3.SECRET_KEY, "--bucket", "cluster",
                    "--allow-host", gallery.hostPort(), "--cpu-concurrency", "2", "--http-port", "0");
            ExecutorService pool = Executors.newSingleThreadExecutor();
            Future<Integer> running = pool.submit(worker);

            PrintStream original = System.out;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int runCode;
            int statusCode;
            int reRun;
            try {
                System.setOut(new PrintStream(out, true));
                runCode = CnfCli.commandLine().execute("run", "--temporal", temporal.target(), "--workflow-id", "cluster-1", "--wait", "--json",
                        "--set", "sources=[\"" + gallery.url() + "\"]", "--set", "trainSteps=4", "--set", "batchSize=2",
                        "--set", "evalSamples=1", "--set", "evalSteps=2", "--set", "name=cluster-model");
                statusCode = CnfCli.commandLine().execute("status", "cluster-1", "--temporal", temporal.target(), "--json");
                // A re-triggered scheduler job with the same id attaches to the finished run instead of training again.
                reRun = CnfCli.commandLine().execute("run", "--temporal", temporal.target(), "--workflow-id", "cluster-1", "--wait", "--json",
                        "--set", "sources=[\"" + gallery.url() + "\"]");
            } finally {
                System.setOut(original);
            }
            worker.stop.countDown();
            assertEquals(0, running.get(30, TimeUnit.SECONDS));
            pool.shutdown();

            assertEquals(0, runCode, out.toString());
            assertEquals(0, statusCode, out.toString());
            String[] lines = out.toString().trim().split("\n");
            ObjectMapper json = new ObjectMapper();
            assertEquals(0, reRun, out.toString());
            JsonNode result = json.readTree(lines[lines.length - 3]);
            JsonNode status = json.readTree(lines[lines.length - 2]);
            assertEquals(result, json.readTree(lines[lines.length - 1]), "the re-run attached to the same result");
            assertTrue(result.get("modelUri").asText().startsWith("s3://cluster/models/cluster-model/"), result.toString());
            assertEquals(6, result.get("imagesKept").asInt());
            assertEquals("done", status.get("stage").asText());
            assertEquals(result.get("modelUri").asText(), status.get("modelUri").asText());
        }
    }
}
