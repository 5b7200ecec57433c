package dev.cnf.workers.cli;

import dev.cnf.model.Prerequisites;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.cnf.workers.cli.ClusterModeTest.cli;
import static org.junit.jupiter.api.Assertions.*;

/**
 * `cnf demo --no-run --keep-running`: a stack that stays up, used with the addresses and credentials it prints, by cnf
 * and by Debian's awscli.
 */
class KeepRunningTest {
    static final Path AWS_CLI = Path.of("/usr/bin/aws"); // Debian's awscli 2, not whatever `aws` is first on PATH
    @Test
    @Tag("e2e")
    void theStackStaysUpForRunsAndReadsUntilStopped(@TempDir Path dir) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Djava.awt.headless=true", "-Xmx3g",
                "-D" + dev.cnf.workers.embedded.EmbeddedTemporal.SERVER_BINARY + "=" + DurableDemoTest.serverBinary(),
                "-cp", System.getProperty("java.class.path"), CnfCli.class.getName(), "demo", "--no-run", "--keep-running",
                "--gallery-images", "8", "--data-dir", dir.toString()));
        Process up = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder printed = new StringBuilder();
            String temporal = null;
            String s3 = null;
            for (String line; (line = out.readLine()) != null; ) {
                printed.append(line).append('\n');
                Matcher t = Pattern.compile("^  Temporal  (\\S+)").matcher(line);
                Matcher s = Pattern.compile("^  S3        (\\S+)").matcher(line);
                if (t.find()) {
                    temporal = t.group(1);
                } else if (s.find()) {
                    s3 = s.group(1);
                } else if (line.startsWith("  aws cli:")) {
                    break;
                }
            }
            assertNotNull(temporal, printed.toString());
            assertNotNull(s3, printed.toString());
            assertTrue(printed.toString().contains("Web UI http://127.0.0.1:") && printed.toString().contains("secret key "), printed.toString());
            assertFalse(printed.toString().contains("file://"), "no file path to read around S3");

            String[] run = cli("run", "--temporal", temporal, "--wait", "--json", "--set", "trainSteps=4", "--set", "batchSize=4",
                    "--set", "evalSamples=1", "--set", "evalSteps=2", "--set", "probeEvery=2", "--set", "name=kept-up");
            assertEquals("0", run[0], run[1] + "\n" + printed);
            String[] models = cli("models", "ls", "--s3", s3, "--s3-access-key", dev.cnf.workers.embedded.EmbeddedS3.ACCESS_KEY,
                    "--s3-secret-key", dev.cnf.workers.embedded.EmbeddedS3.SECRET_KEY);
            assertEquals("0", models[0], models[1]);
            assertTrue(models[1].contains("kept-up"), "the published model, read through the running S3: " + models[1]);
            syncWithAwsCliAndCheckSums(s3, dir.resolve("synced"));
            assertTrue(up.isAlive(), "still up");
        } finally {
            up.destroy(); // SIGTERM, as Ctrl-C: the shutdown hook stops the stack
            assertTrue(up.waitFor(60, TimeUnit.SECONDS), "the stack stopped");
        }
    }

    /** `aws s3 sync` of models/ from the embedded S3, then `sha256sum -c SHA256SUMS` in the copied version. */
    private static void syncWithAwsCliAndCheckSums(String s3, Path copy) throws Exception {
        Prerequisites.require(Files.isExecutable(AWS_CLI), "Debian's awscli (/usr/bin/aws)");
        String[] sync = run(copy.getParent(), AWS_CLI.toString(), "--endpoint-url", s3, "s3", "sync", "--no-progress",
                "s3://cnf/models/", copy.toString());
        assertEquals("0", sync[0], "aws s3 sync of models/: " + sync[1]);
        List<Path> sums;
        try (Stream<Path> files = Files.walk(copy)) {
            sums = files.filter(f -> f.getFileName().toString().equals("SHA256SUMS")).toList();
        }
        assertEquals(1, sums.size(), "one published version, with its SHA256SUMS: " + sync[1]);
        String[] listed = run(copy.getParent(), AWS_CLI.toString(), "--endpoint-url", s3, "s3api", "list-objects-v2",
                "--bucket", "cnf", "--output", "json");
        assertEquals("0", listed[0], listed[1]);
        com.fasterxml.jackson.databind.JsonNode objects = new com.fasterxml.jackson.databind.ObjectMapper().readTree(listed[1]).get("Contents");
        assertTrue(objects.size() > 5, listed[1]);
        for (com.fasterxml.jackson.databind.JsonNode o : objects) {
            assertFalse(o.get("Key").asText().endsWith("/"), "no directory markers, as in S3 (boto3 code reads every key): " + o);
            assertTrue(o.hasNonNull("ETag"), "every object has an ETag (boto3 code reads o['ETag']): " + o);
        }
        String[] check = run(sums.get(0).getParent(), "sha256sum", "-c", "SHA256SUMS");
        assertEquals("0", check[0], check[1]);
        assertTrue(check[1].contains("diffusion_pytorch_model.safetensors: OK"), check[1]);
    }

    private static String[] run(Path workDir, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().put("AWS_ACCESS_KEY_ID", dev.cnf.workers.embedded.EmbeddedS3.ACCESS_KEY);
        builder.environment().put("AWS_SECRET_ACCESS_KEY", dev.cnf.workers.embedded.EmbeddedS3.SECRET_KEY);
        builder.environment().put("AWS_DEFAULT_REGION", "us-east-1");
        builder.environment().put("AWS_CONFIG_FILE", "/dev/null"); // the machine's ~/.aws must not change the result
        builder.environment().put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " finished");
        return new String[] {String.valueOf(process.exitValue()), output};
    }
}
