package dev.cnf.workers;

import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workers.cli.CnfCli;
import dev.cnf.workers.embedded.EmbeddedS3;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CliTest {
    record Outcome(int code, String err) {}

    static Outcome cnf(String... args) {
        CommandLine cl = CnfCli.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        return new Outcome(cl.execute(args), err.toString());
    }

    @Test
    void badInputFailsAtOnceWithExitCode2AndSaysWhatIsWrong() {
        Outcome o = cnf("run", "--set", "trainSteps=-1", "--temporal", "127.0.0.1:1");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("trainSteps -1: must be in [1,"), o.err());

        o = cnf("run", "--set", "trainStep=5");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("unknown input field [trainStep]") && o.err().contains("trainSteps"), o.err());

        // the model library's limits before any work, and a type error beside the other problems
        o = cnf("run", "--set", "resolution=65", "--set", "trainSteps=abc", "--set", "batchSize=0", "--temporal", "127.0.0.1:1");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("resolution 65 must be a multiple of 8 for preset tiny") && o.err().contains("trainSteps 'abc': must be a whole number")
                && o.err().contains("batchSize 0: must be in [1,"), o.err());

        // cnf pretrain checks its flags together, before building a model or writing anything
        Path pretrainOut = Path.of("target", "pretrain-refused");
        o = cnf("pretrain", "--steps", "0", "--lr", "0", "--ema-decay", "1", "--out", pretrainOut.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("--steps and --batch-size must be >= 1") && o.err().contains("--lr must be > 0")
                && o.err().contains("--ema-decay must be in [0, 1)") && o.err().contains("--warmup-steps must be >= 0 and below --steps"), o.err());
        assertFalse(java.nio.file.Files.exists(pretrainOut), "nothing written");

        // nested fields too; every problem named at once
        o = cnf("run", "--set", "training.trainSteps=0", "--set", "data.maxImage=3", "--temporal", "127.0.0.1:1");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("trainSteps 0: must be in [1,") && o.err().contains("unknown input field [data.maxImage]"), o.err());

        o = cnf("run", "--input", "[1,2]");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--input must be a JSON object"), o.err());

        o = cnf("run", "--temporal", "not a target");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("must be host:port"), o.err());

        o = cnf("worker", "--s3", "ftp://x", "--s3-access-key", "a", "--s3-secret-key", "b");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("must be an http(s):// URL"), o.err());

        o = cnf("run", "--task-queue", "cnf-gpu", "--set", "trainSteps=-1", "--temporal", "nohostport");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--task-queue: task queue 'cnf-gpu' is a GPU queue") && o.err().contains("trainSteps -1")
                && o.err().contains("--temporal 'nohostport' must be host:port"), "every problem at once: " + o.err());

        o = cnf("generate", "--model", "m", "--control-scale", "5", "--image", "/no/such.jpg", "--condition", "depth",
                "--prompt", " ", "--steps", "0", "--out", "/tmp/cnf-generate-never-written");
        assertEquals(2, o.code());
        for (String problem : List.of("cannot read /no/such.jpg", "--condition depth: extracted here only for", "--control-scale 5.0",
                "--prompt is empty", "--steps 0")) {
            assertTrue(o.err().contains(problem), "names " + problem + ": " + o.err());
        }
        o = cnf("generate", "--prompt", "x", "--out", "/tmp/x");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--model"), "a ControlNet is required: " + o.err());

        o = cnf("frobnicate");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("frobnicate"), o.err());

        o = cnf("demo", "--allow-host", "my gallery");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--allow-host 'my gallery' must be host:port"), o.err());

        o = cnf("demo", "--gallery-images", "1");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--gallery-images must be in [2, 10000]"), o.err());
    }

    /** `--input @file` reads the file as the input (picocli's own @file argument expansion is off). */
    @Test
    void inputFromAFileIsReadAndAStudyIsCheckedBeforeAnyWork(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run.json");
        java.nio.file.Files.writeString(run, "{\"trainSteps\": 0, \"colour\": \"red\"}");
        Outcome o = cnf("run", "--input", "@" + run, "--temporal", "127.0.0.1:1");
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("trainSteps 0: must be in [1,") && o.err().contains("unknown input field [colour]"), o.err());

        Path study = dir.resolve("study.json");
        java.nio.file.Files.writeString(study, "{\"variants\": [{\"name\": \"g\", \"set\": {\"zeroConvInit\": \"ones\"}}], \"seeds\": []}");
        o = cnf("study", "--input", "@" + study, "--set", "resolution=65", "--out", dir.resolve("out").toString(), "--temporal", "127.0.0.1:1");
        assertEquals(2, o.code(), o.err());
        for (String problem : List.of("--out writes the report once the study ends: add --wait", "seeds [] must be a non-empty list",
                "base: resolution 65 must be a multiple of 8")) {
            assertTrue(o.err().contains(problem), "names " + problem + ": " + o.err());
        }
        o = cnf("study", "--input", "@" + study.resolveSibling("missing.json"));
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--input is not readable JSON"), o.err());
    }

    @Test
    void modelInfoPrintsSd15ParameterCountsAsJsonWithoutWeights() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(captured, true));
        int code;
        try {
            code = CnfCli.commandLine().execute("model", "info", "--config", "sd15", "--json");
        } finally {
            System.setOut(original);
        }
        assertEquals(0, code);
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(captured.toString());
        assertEquals(859_520_964L, json.get("unet").get("params").asLong());
        assertEquals(361_279_120L, json.get("controlnet").get("params").asLong());
        assertEquals(83_653_863L, json.get("vae").get("params").asLong());
        assertEquals(123_060_480L, json.get("text_encoder").get("params").asLong());

        Outcome o = cnf("model", "info", "--config", "sd21");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("neither a preset (sd15, mid-sd, tiny-sd, tiny)"), o.err());
    }

    /** Errors from live servers are one line with the documented exit code, never a stack trace. */
    @Test
    @org.junit.jupiter.api.Tag("e2e")
    void serverErrorsAreOneLineWithTheirExitCode(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (var temporal = dev.cnf.workers.embedded.EmbeddedTemporal.startTestServer("the test's Temporal");
             var s3 = dev.cnf.workers.embedded.EmbeddedS3.start(dir)) {
            Outcome o = cnf("status", "no-such-run", "--temporal", temporal.target());
            assertEquals(2, o.code(), o.err());
            assertTrue(o.err().startsWith("cnf: no such run") && o.err().strip().lines().count() == 1, o.err());

            new dev.cnf.activities.storage.ObjectStore(s3.config("cnf")).ensureBucket();
            o = cnf("models", "ls", "--s3", s3.endpoint(), "--s3-access-key", dev.cnf.workers.embedded.EmbeddedS3.ACCESS_KEY,
                    "--s3-secret-key", "not-the-secret");
            assertEquals(2, o.code(), o.err());
            assertTrue(o.err().contains("object storage refused the credentials") && o.err().strip().lines().count() == 1, o.err());

            int closed;
            try (ServerSocket s = new ServerSocket(0)) {
                closed = s.getLocalPort();
            }
            o = cnf("models", "ls", "--s3", "http://127.0.0.1:" + closed, "--s3-access-key", "a", "--s3-secret-key", "b");
            assertEquals(3, o.code(), o.err());
            assertTrue(o.err().startsWith("cnf: cannot reach the server") && o.err().strip().lines().count() == 1, o.err());
        }
    }

    /** `cnf models ls` without keys, as a container with AWS credentials runs it: the environment, then a profile. */
    @Test
    @Tag("e2e")
    void s3CredentialsComeFromTheAwsChainWithoutKeys(@TempDir Path dir) throws Exception {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir)) {
            new ObjectStore(s3.config("cnf")).ensureBucket();
            Path home = java.nio.file.Files.createDirectories(dir.resolve("home"));
            Path credentials = dir.resolve("aws-credentials");
            java.nio.file.Files.writeString(credentials, "[default]\naws_access_key_id = nobody\naws_secret_access_key = wrong\n\n"
                    + "[cnf-local]\naws_access_key_id = " + EmbeddedS3.ACCESS_KEY + "\naws_secret_access_key = " + EmbeddedS3.SECRET_KEY + "\n");
            java.util.Map<String, String> env = new java.util.HashMap<>(java.util.Map.of("HOME", home.toString()));

            String[] none = cnfProcess(env, "models", "ls", "--s3", s3.endpoint());
            assertEquals("2", none[0], none[1]);
            assertTrue(none[1].contains("no S3 credentials") && none[1].strip().lines().count() == 1, none[1]);

            env.putAll(java.util.Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY));
            String[] fromEnvironment = cnfProcess(env, "models", "ls", "--s3", s3.endpoint());
            assertEquals("0", fromEnvironment[0], fromEnvironment[1]);

            env.remove("AWS_ACCESS_KEY_ID");
            env.remove("AWS_SECRET_ACCESS_KEY");
            env.put("AWS_SHARED_CREDENTIALS_FILE", credentials.toString());
            String[] wrongProfile = cnfProcess(env, "models", "ls", "--s3", s3.endpoint());
            assertEquals("2", wrongProfile[0], "the default profile holds wrong keys: " + wrongProfile[1]);
            assertTrue(wrongProfile[1].contains("object storage refused the credentials"), wrongProfile[1]);
            env.put("AWS_PROFILE", "cnf-local");
            String[] fromProfile = cnfProcess(env, "models", "ls", "--s3", s3.endpoint());
            assertEquals("0", fromProfile[0], fromProfile[1]);
        }
    }

    /** The CLI in its own JVM with exactly this environment (plus PATH): {exit code, stdout and stderr}. */
    static String[] cnfProcess(java.util.Map<String, String> env, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CnfCli.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        String path = System.getenv("PATH");
        builder.environment().clear();
        builder.environment().put("PATH", path == null ? "/usr/bin:/bin" : path);
        builder.environment().putAll(env);
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        // logback's own start-up chatter is not the CLI's output
        String printed = out.lines().filter(l -> !l.matches("\\d\\d:\\d\\d:\\d\\d,\\d+ \\|-.*")).collect(java.util.stream.Collectors.joining("\n"));
        return new String[] {String.valueOf(p.exitValue()), printed};
    }

    @Test
    void unreachableTemporalIsExitCode3() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Outcome o = cnf("status", "some-id", "--temporal", "127.0.0.1:" + port);
        assertEquals(3, o.code(), o.err());
        assertTrue(o.err().contains("cannot reach Temporal at 127.0.0.1:" + port), o.err());
    }

    /** The README's first command, in-process: the whole chain twice on the embedded default, two versions published. */
    @Test
    @Tag("e2e")
    void demoRunsTheWholeChainAndASecondRunPublishesANewVersion(@TempDir Path dir) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        int first;
        int second;
        try {
            String[] args = {"demo", "--data-dir", dir.toString(), "--gallery-images", "10",
                    "--set", "trainSteps=8", "--set", "batchSize=4", "--set", "evalSamples=2", "--set", "evalSteps=3"};
            first = CnfCli.commandLine().execute(args);
            // the second version in the paper's large-scale mode: it publishes the trained base UNet in unet/
            List<String> large = new java.util.ArrayList<>(List.of(args));
            large.addAll(List.of("--set", "trainingMode=large", "--set", "unlockBaseAt=4"));
            second = CnfCli.commandLine().execute(large.toArray(String[]::new));
        } finally {
            System.setOut(original);
        }
        String out = captured.toString();
        assertEquals(0, first, out);
        assertEquals(0, second, out);
        for (String stage : List.of("ingest:", "clean:", "caption:", "condition:", "train:", "evaluate:", "publish:")) {
            assertTrue(out.contains("done  " + stage), "progress line for " + stage + "\n" + out);
        }
        assertTrue(out.contains("model:  s3://cnf/models/controlnet-canny/"), out);
        assertTrue(out.contains("report: s3://cnf/models/controlnet-canny/"), out);
        // A run whose ingestion finds nothing usable fails clearly with exit code 1.
        ByteArrayOutputStream failed = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        System.setOut(new PrintStream(failed, true));
        System.setErr(new PrintStream(failed, true));
        Outcome bad;
        try {
            bad = cnf("demo", "--data-dir", dir.toString(), "--gallery-images", "2", "--set", "sources=[\"http://127.0.0.1:9/none\"]");
        } finally {
            System.setOut(original);
            System.setErr(originalErr);
        }
        assertEquals(1, bad.code(), failed.toString());
        assertTrue(failed.toString().contains("failed: no images found at the sources: pages failed (dropped: BLOCKED_ADDRESS=1)"), failed.toString());
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir)) {
            ObjectStore store = new ObjectStore(s3.config("cnf"));
            List<String> manifests = store.list("models/controlnet-canny/").stream().filter(k -> k.endsWith("/manifest.json")).toList();
            assertEquals(2, manifests.size(), "two runs, two versions: " + manifests);
        }
        modelsCommandsListShowAndPullWithVerification(dir);
    }

    /** `cnf models` against the demo's local store: ls, show, a verified pull, and a pull that catches a corrupted object. */
    static void modelsCommandsListShowAndPullWithVerification(Path dir) throws Exception {
        String data = dir.toString();
        Captured ls = captured("models", "ls", "--data-dir", data, "--json");
        assertEquals(0, ls.code(), ls.out());
        String[] lines = ls.out().strip().split("\n");
        var models = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines[lines.length - 1]); // stderr notes come first
        assertEquals("controlnet-canny", models.get(0).get("name").asText());
        assertEquals(2, models.get(0).get("versions").asInt());
        String latest = models.get(0).get("latest").asText();

        Captured versions = captured("models", "ls", "controlnet-canny", "--data-dir", data);
        assertEquals(0, versions.code(), versions.out());
        assertTrue(versions.out().contains(latest + " ") && versions.out().contains("<- latest"), versions.out());

        Captured show = captured("models", "show", "controlnet-canny", "--data-dir", data);
        assertEquals(0, show.code(), show.out());
        assertTrue(show.out().contains("# controlnet-canny " + latest) && show.out().contains("## Evaluation"), show.out());

        Path out = dir.resolve("pulled");
        Captured pull = captured("models", "pull", "controlnet-canny", "--data-dir", data, "--out", out.toString());
        assertEquals(0, pull.code(), pull.out());
        assertTrue(java.nio.file.Files.exists(out.resolve("diffusion_pytorch_model.safetensors")));
        for (String line : java.nio.file.Files.readAllLines(out.resolve("SHA256SUMS"))) {
            String[] parts = line.split("  ");
            assertEquals(parts[0], ObjectStore.sha256(java.nio.file.Files.readAllBytes(out.resolve(parts[1]))), parts[1]);
        }

        // A large-mode version has a file in a folder (unet/): pulled into the same layout, verified like the rest.
        String largeVersion;
        try (var versionDirs = java.nio.file.Files.list(dir.resolve("s3/cnf/models/controlnet-canny"))) {
            largeVersion = versionDirs.filter(v -> java.nio.file.Files.isDirectory(v.resolve("unet"))).findFirst().orElseThrow()
                    .getFileName().toString();
        }
        Path largeOut = dir.resolve("pulled-large");
        Captured pullLarge = captured("models", "pull", "controlnet-canny", largeVersion, "--data-dir", data, "--out", largeOut.toString());
        assertEquals(0, pullLarge.code(), pullLarge.out());
        Path unet = largeOut.resolve("unet/diffusion_pytorch_model.safetensors");
        assertTrue(java.nio.file.Files.exists(unet), pullLarge.out());
        assertTrue(java.nio.file.Files.readAllLines(largeOut.resolve("SHA256SUMS")).contains(
                ObjectStore.sha256(java.nio.file.Files.readAllBytes(unet)) + "  unet/diffusion_pytorch_model.safetensors"));

        // Flip one byte of the stored weights behind the store's back: the pull must refuse and write nothing.
        Path stored = dir.resolve("s3/cnf/models/controlnet-canny/" + latest + "/diffusion_pytorch_model.safetensors");
        byte[] bytes = java.nio.file.Files.readAllBytes(stored);
        bytes[bytes.length - 1] ^= 1;
        java.nio.file.Files.write(stored, bytes);
        Path again = dir.resolve("pulled-again");
        Captured corrupted = captured("models", "pull", "controlnet-canny", latest, "--data-dir", data, "--out", again.toString());
        assertEquals(1, corrupted.code(), corrupted.out());
        assertTrue(corrupted.out().contains("checksum mismatch"), corrupted.out());
        assertFalse(java.nio.file.Files.exists(again.resolve("diffusion_pytorch_model.safetensors")), "nothing written");

        Captured unknown = captured("models", "show", "no-such-model", "--data-dir", data);
        assertEquals(2, unknown.code());
        assertTrue(unknown.out().contains("no-such-model"), unknown.out());
    }

    record Captured(int code, String out) {}

    /** Runs the CLI with stdout and stderr captured together. */
    static Captured captured(String... args) {
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(buf, true);
        System.setOut(both);
        System.setErr(both);
        try {
            CommandLine cl = CnfCli.commandLine();
            cl.setErr(new PrintWriter(both, true));
            return new Captured(cl.execute(args), buf.toString());
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }
}
