package dev.cnf.workers.cli;

import dev.cnf.model.Prerequisites;
import dev.cnf.workers.embedded.EmbeddedTemporal;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The demo on the real Temporal server outlives its process: SIGKILL during training, then the same command again,
 * continues the same workflow from its last checkpoint and publishes the weights an uninterrupted demo publishes.
 */
class DurableDemoTest {
    /** The real server's binary, built (once, cached) by devserver/build.sh as ./cnf builds it. */
    static Path serverBinary() throws Exception {
        Path build = Path.of("..", "devserver", "build.sh").toAbsolutePath().normalize();
        Process p = new ProcessBuilder(build.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        int code = p.waitFor();
        Prerequisites.require(code != 3, "a Go toolchain to build the Temporal server (devserver/)");
        assertEquals(0, code, "devserver/build.sh failed");
        return Path.of(out);
    }

    static final List<String> DEMO = List.of("demo", "--gallery-images", "12", "--set", "name=durable", "--set", "trainSteps=60",
            "--set", "checkpointEvery=10", "--set", "batchSize=4", "--set", "evalSamples=2", "--set", "evalSteps=2", "--set", "probeEvery=30",
            "--set", "seed=9");

    static Process demo(Path binary, Path dataDir, Path log) throws Exception {
        return cnf(binary, DEMO, dataDir, log);
    }

    static Process cnf(Path binary, List<String> args, Path dataDir, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Djava.awt.headless=true", "-Xmx3g", "-D" + EmbeddedTemporal.SERVER_BINARY + "=" + binary,
                "-cp", System.getProperty("java.class.path"), CnfCli.class.getName()));
        cmd.addAll(args);
        cmd.addAll(List.of("--data-dir", dataDir.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    static List<Path> find(Path root, String suffix) throws Exception {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.toString().endsWith(suffix)).sorted().toList();
        }
    }

    @Test
    @Tag("e2e")
    @Tag("slow")
    void aKilledDemoContinuesItsRunToTheSameWeights(@TempDir Path dir) throws Exception {
        Path binary = serverBinary();
        Path logs = Path.of("target", "durable-demo-test");
        Files.createDirectories(logs);
        Path data = dir.resolve("interrupted");
        Path log = logs.resolve("interrupted.log");
        Files.deleteIfExists(log);

        Process first = demo(binary, data, log);
        long deadline = System.currentTimeMillis() + 300_000;
        while (find(data.resolve("s3"), "state.json").isEmpty()) { // a committed checkpoint
            assertTrue(System.currentTimeMillis() < deadline, "no checkpoint within 5 minutes; see " + log);
            assertTrue(first.isAlive(), "the demo ended on its own; see " + log);
            Thread.sleep(200);
        }
        List<ProcessHandle> server = first.toHandle().descendants().toList();
        assertFalse(server.isEmpty(), "the demo runs the Temporal server as its child");
        first.destroyForcibly(); // SIGKILL: no shutdown hook runs
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        for (ProcessHandle h : server) { // its stdin closed with the demo: it stops by itself, no orphan keeps the database
            assertTrue(h.onExit().get(60, TimeUnit.SECONDS) != null && !h.isAlive(), "the server outlived the killed demo");
        }
        String workflowId = Files.readString(data.resolve(DemoCommand.RUN_FILE)).strip();

        Process again = demo(binary, data, log);
        assertTrue(again.waitFor(15, TimeUnit.MINUTES), "the continued demo did not finish; see " + log);
        String output = Files.readString(log);
        assertEquals(0, again.exitValue(), output);
        assertTrue(output.contains("workflow " + workflowId + ": continuing the run"), "reattached to the same workflow:\n" + output);
        assertEquals(workflowId, Files.readString(data.resolve(DemoCommand.RUN_FILE)).strip(), "no new run was started");
        List<Path> runs = find(data.resolve("s3"), "/train/controlnet.safetensors");
        assertEquals(1, runs.size(), "one run trained: " + runs);
        assertTrue(Files.readString(find(data.resolve("s3"), "/train/metrics.jsonl").get(0)).contains("\"kind\":\"resume\""),
                "training resumed from a checkpoint");

        Path straight = dir.resolve("straight");
        Process uninterrupted = demo(binary, straight, logs.resolve("straight.log"));
        assertTrue(uninterrupted.waitFor(15, TimeUnit.MINUTES));
        assertEquals(0, uninterrupted.exitValue(), Files.readString(logs.resolve("straight.log")));
        List<Path> published = find(data.resolve("s3").resolve("cnf").resolve("models"), "diffusion_pytorch_model.safetensors");
        List<Path> expected = find(straight.resolve("s3").resolve("cnf").resolve("models"), "diffusion_pytorch_model.safetensors");
        assertEquals(1, published.size(), published.toString());
        assertEquals(1, expected.size(), expected.toString());
        assertArrayEquals(Files.readAllBytes(expected.get(0)), Files.readAllBytes(published.get(0)),
                "the published weights equal those of an uninterrupted demo with the same seed");
    }

    /** `cnf study --embedded`, killed while an arm trains, then run again: it continues the same study to its report. */
    @Test
    @Tag("e2e")
    @Tag("slow")
    void aKilledEmbeddedStudyContinuesTheSameStudy(@TempDir Path dir) throws Exception {
        Path binary = serverBinary();
        Path logs = Files.createDirectories(Path.of("target", "durable-demo-test"));
        Path log = logs.resolve("study.log");
        Files.deleteIfExists(log);
        List<String> study = List.of("study", "--embedded", "--out", dir.resolve("out").toString(), "--input",
                "{\"base\": {\"name\": \"durable\", \"trainSteps\": 40, \"checkpointEvery\": 10, \"batchSize\": 4, \"evalSamples\": 2,"
                        + " \"evalSteps\": 2, \"probeEvery\": 20}, \"variants\": [{\"name\": \"a\"}], \"seeds\": [1]}");
        Path data = dir.resolve("data");
        Process first = cnf(binary, study, data, log);
        try {
            long deadline = System.currentTimeMillis() + 300_000;
            while (!armCheckpointed(data.resolve("s3").resolve("cnf").resolve("runs"))) {
                assertTrue(System.currentTimeMillis() < deadline, "no checkpoint of the arm within 5 minutes; see " + log);
                assertTrue(first.isAlive(), "the study ended on its own; see " + log);
                Thread.sleep(200);
            }
        } finally {
            first.destroyForcibly(); // SIGKILL, also when the test fails: no process outlives it
        }
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        String studyId = Files.readString(data.resolve(StudyCommand.RUN_FILE)).strip();

        Process again = cnf(binary, study, data, log);
        try {
            assertTrue(again.waitFor(15, TimeUnit.MINUTES), "the continued study did not finish; see " + log);
        } finally {
            again.destroyForcibly();
        }
        String output = Files.readString(log);
        assertEquals(0, again.exitValue(), output);
        assertTrue(output.contains("study " + studyId + ": continuing the study"), "reattached to the same study:\n" + output);
        assertEquals(studyId, Files.readString(data.resolve(StudyCommand.RUN_FILE)).strip(), "no new study was started");
        assertTrue(Files.readString(dir.resolve("out").resolve("report.json")).contains("\"a-s1\""), "the report, written to --out");
        assertEquals(1, find(data.resolve("s3").resolve("cnf").resolve("runs"), "/train/controlnet.safetensors").size(), "one arm trained once");
    }

    /** Whether the arm has a committed checkpoint; S3Proxy's files come and go while it writes, so a walk may race them. */
    private static boolean armCheckpointed(Path runs) throws Exception {
        try {
            return find(runs, "state.json").stream().anyMatch(p -> p.toString().contains("/a-s1/"));
        } catch (java.io.UncheckedIOException racedAWrite) {
            return false;
        }
    }
}
