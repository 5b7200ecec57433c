package dev.cnf.workers.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.cnf.workers.cli.ClusterModeTest.cli;
import static org.junit.jupiter.api.Assertions.*;

/** `cnf demo --no-run --keep-running`: a stack that stays up, used with the addresses and credentials it prints. */
class KeepRunningTest {
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
            assertTrue(up.isAlive(), "still up");
        } finally {
            up.destroy(); // SIGTERM, as Ctrl-C: the shutdown hook stops the stack
            assertTrue(up.waitFor(60, TimeUnit.SECONDS), "the stack stopped");
        }
    }
}
