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
import java.util.List;
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
        try (EmbeddedTemporal temporal = EmbeddedTemporal.startTestServer("the test's Temporal");
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
            String metrics;
            try {
                System.setOut(new PrintStream(out, true));
                runCode = CnfCli.commandLine().execute("run", "--temporal", temporal.target(), "--workflow-id", "cluster-1", "--wait", "--json",
                        "--set", "sources=[\"" + gallery.url() + "\"]", "--set", "trainSteps=4", "--set", "batchSize=2",
                        "--set", "evalSamples=1", "--set", "evalSteps=2", "--set", "name=cluster-model");
                statusCode = CnfCli.commandLine().execute("status", "cluster-1", "--temporal", temporal.target(), "--json");
                // A re-triggered scheduler job with the same id attaches to the finished run instead of training again.
                reRun = CnfCli.commandLine().execute("run", "--temporal", temporal.target(), "--workflow-id", "cluster-1", "--wait", "--json",
                        "--set", "sources=[\"" + gallery.url() + "\"]", "--result-file", dir.resolve("xcom/return.json").toString());
                metrics = scrapeUntil(worker.boundHttpPort, "cnf_train_loss");
            } finally {
                System.setOut(original);
            }
            worker.stop.countDown();
            // Temporal SDK metrics and ours, on the worker's Prometheus endpoint.
            for (String name : List.of("temporal_", "cnf_ingest_images_per_second", "cnf_clean_images_per_second", "cnf_train_loss",
                    "cnf_train_steps_per_second", "cnf_train_checkpoint_age_seconds", "cnf_train_steps")) {
                assertTrue(metrics.contains(name), name + " missing from /metrics:\n" + metrics);
            }
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
            JsonNode xcom = json.readTree(dir.resolve("xcom/return.json").toFile());
            assertEquals("cluster-model", xcom.get("name").asText(), "the result file names the model for the next task");
            assertEquals(result, xcom);
            assertEquals("done", status.get("summary").asText());
            assertEquals(result.get("modelUri").asText(), status.get("modelUri").asText());
        }
    }

    /** Runs the CLI with stdout captured; returns (exit code, stdout). */
    static String[] cli(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            int code = CnfCli.commandLine().execute(args);
            return new String[] {String.valueOf(code), out.toString()};
        } finally {
            System.setOut(original);
        }
    }

    static JsonNode status(String temporal, String id) throws Exception {
        String[] r = cli("status", id, "--temporal", temporal, "--json");
        assertEquals("0", r[0], r[1]);
        // the worker runs in this JVM and prints its own start-up line, which may land in the capture too
        String[] lines = r[1].trim().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].startsWith("{")) {
                return new ObjectMapper().readTree(lines[i]);
            }
        }
        throw new AssertionError("cnf status --json printed no JSON line: " + r[1]);
    }

    @Test
    void pauseUpdateResumeAndCancelFromTheCli(@TempDir Path dir) throws Exception {
        try (EmbeddedTemporal temporal = EmbeddedTemporal.startTestServer("the test's Temporal");
             EmbeddedS3 s3 = EmbeddedS3.start(dir);
             GalleryServer gallery = GalleryServer.start(6, 96, 11)) {
            WorkerCommand worker = new WorkerCommand();
            new CommandLine(worker).parseArgs("--temporal", temporal.target(), "--s3", s3.endpoint(),
                    "--s3-access-key", EmbeddedS3.ACCESS_KEY, "--s3-secret-key", EmbeddedS3.SECRET_KEY, "--bucket", "ops",
                    "--allow-host", gallery.hostPort(), "--http-port", "0");
            ExecutorService pool = Executors.newSingleThreadExecutor();
            Future<Integer> running = pool.submit(worker);
            String t = temporal.target();
            try {
                String[] started = cli("run", "--temporal", t, "--workflow-id", "ops-1", "--set", "sources=[\"" + gallery.url() + "\"]",
                        "--set", "trainSteps=2000", "--set", "batchSize=2", "--set", "checkpointEvery=5000", "--set", "name=ops-model");
                assertEquals("0", started[0], started[1]);
                long deadline = System.currentTimeMillis() + 120_000;
                while (status(t, "ops-1").get("training").isNull()) {
                    assertTrue(System.currentTimeMillis() < deadline, "no training progress");
                    Thread.sleep(200);
                }
                assertEquals("0", cli("pause", "ops-1", "--temporal", t)[0]);
                while (!status(t, "ops-1").get("summary").asText().startsWith("paused")) {
                    assertTrue(System.currentTimeMillis() < deadline, "did not pause");
                    Thread.sleep(200);
                }
                JsonNode paused = status(t, "ops-1");
                assertTrue(paused.get("paused").asBoolean());
                assertFalse(paused.get("training").get("lastCheckpointKey").isNull(), paused.toString());
                String[] human = cli("status", "ops-1", "--temporal", t);
                assertTrue(human[1].contains("train step ") && human[1].contains("steps/s"), human[1]);

                String[] updated = cli("update", "ops-1", "--temporal", t, "--train-steps", "2100", "--eval-every", "3000", "--json");
                assertEquals("0", updated[0], updated[1]);
                assertTrue(updated[1].contains("\"trainSteps\":2100") && updated[1].contains("\"evalEvery\":3000"), updated[1]);
                assertEquals(2100, status(t, "ops-1").get("schedule").get("trainSteps").asInt());
                assertEquals(3000, status(t, "ops-1").get("schedule").get("evalEvery").asInt());
                assertEquals("2", cli("update", "ops-1", "--temporal", t, "--train-steps", "1")[0], "a refused update is bad input");
                assertEquals("2", cli("update", "ops-1", "--temporal", t)[0], "nothing to change is refused before contacting the server");
                assertEquals("0", cli("resume", "ops-1", "--temporal", t)[0]);
                // Cancel only once training runs again: a cancel that lands between resume and the restart ends the
                // run at once, and `run --wait` below would then start a new run instead of attaching (failed runs
                // may be re-run under their id).
                int pausedAt = paused.get("training").get("step").asInt();
                while (status(t, "ops-1").get("paused").asBoolean() || status(t, "ops-1").get("training").get("step").asInt() <= pausedAt) {
                    assertTrue(System.currentTimeMillis() < deadline + 120_000, "training did not resume");
                    Thread.sleep(200);
                }
                assertEquals("0", cli("cancel", "ops-1", "--temporal", t, "--reason", "cli test")[0]);
                String[] attached = cli("run", "--temporal", t, "--workflow-id", "ops-1", "--wait", "--set", "sources=[\"" + gallery.url() + "\"]");
                assertEquals("1", attached[0], "the cancelled run ends as failed: " + attached[1]);
                JsonNode end = status(t, "ops-1");
                assertEquals("cancelled", end.get("summary").asText());
                assertTrue(end.get("error").asText().contains("cli test"), end.toString());
            } finally {
                worker.stop.countDown();
                assertEquals(0, running.get(60, TimeUnit.SECONDS));
                pool.shutdown();
            }
        }
    }

    /** GETs the worker's /metrics until it mentions {@code expected} (metrics are reported every second). */
    static String scrapeUntil(int port, String expected) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String body = "";
        for (int i = 0; i < 50 && !body.contains(expected); i++) {
            body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            if (!body.contains(expected)) {
                Thread.sleep(200);
            }
        }
        return body;
    }

    @Test
    void scheduleCreateListAndDelete() {
        try (EmbeddedTemporal temporal = EmbeddedTemporal.startTestServer("the test's Temporal")) {
            String t = temporal.target();
            String[] bad = cli("schedule", "create", "weird", "--cron", "every day", "--temporal", t);
            assertEquals("2", bad[0], "a bad cron expression is refused before contacting the server");
            String[] created = cli("schedule", "create", "nightly", "--cron", "0 3 * * *", "--temporal", t, "--set", "name=nightly-model");
            assertEquals("0", created[0], created[1]);
            // The embedded server is Temporal's Java test server: no Schedules API, so a cron workflow stands in and says so.
            assertTrue(created[1].contains("no Schedules API") && created[1].contains("schedule-nightly"), created[1]);
            assertEquals("2", cli("schedule", "create", "nightly", "--cron", "0 3 * * *", "--temporal", t)[0], "exists already");
            String[] listed = cli("schedule", "ls", "--temporal", t);
            assertEquals("0", listed[0], listed[1]);
            String[] deleted = cli("schedule", "delete", "nightly", "--temporal", t);
            assertEquals("0", deleted[0], deleted[1]);
            assertEquals("2", cli("schedule", "delete", "nightly-never-made", "--temporal", t)[0]);
        }
    }
}
