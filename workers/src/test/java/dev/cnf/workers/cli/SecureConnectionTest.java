package dev.cnf.workers.cli;

import dev.cnf.model.Prerequisites;
import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workers.embedded.EmbeddedTemporal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * TLS, mTLS and API keys as Temporal Cloud or a secured cluster needs them: the CLI against a TLS front (self-made CA,
 * client certificate required, API key required) before a real Temporal frontend.
 */
class SecureConnectionTest {
    static final String SERVER_NAME = "temporal.cnf.test"; // the certificate names no IP: --tls-server-name is needed
    static final String API_KEY = "cnf-test-key-0123";

    @TempDir
    static Path dir;
    static EmbeddedTemporal temporal;
    static TlsFront.SelfMadeCa certs;
    static TlsFront mtlsWithKey;

    @BeforeAll
    static void start() throws Exception {
        Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl, to make the test CA");
        certs = new TlsFront.SelfMadeCa(dir.resolve("pki"), SERVER_NAME);
        temporal = EmbeddedTemporal.startTestServer("the test's Temporal behind TLS");
        mtlsWithKey = new TlsFront(temporal.target(), certs.serverCert, certs.serverKey, certs.ca, API_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        if (mtlsWithKey != null) {
            mtlsWithKey.close();
        }
        if (temporal != null) {
            temporal.close();
        }
    }

    List<String> secured(String... command) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(List.of("--temporal", mtlsWithKey.target(), "--tls-ca", certs.ca.toString(), "--tls-server-name", SERVER_NAME,
                "--tls-cert", certs.clientCert.toString(), "--tls-key", certs.clientKey.toString(), "--api-key", API_KEY));
        return args;
    }

    /** A worker and the CLI both through the front: the run, its status query and the worker's polls all go over mTLS. */
    @Test
    void aWorkerAndTheCliWorkThroughMutualTlsWithAnApiKey() throws Exception {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"))) {
            WorkerCommand worker = new WorkerCommand();
            new CommandLine(worker).parseArgs(secured("--s3", s3.endpoint(), "--s3-access-key", EmbeddedS3.ACCESS_KEY,
                    "--s3-secret-key", EmbeddedS3.SECRET_KEY, "--http-port", "0").toArray(String[]::new));
            ExecutorService pool = Executors.newSingleThreadExecutor();
            Future<Integer> running = pool.submit(worker);
            try {
                // A source on loopback that no --allow-host opens: the worker's address guard drops it, and the run
                // fails fast as NoData, a whole run on the worker.
                String[] run = cnf(secured("run", "--workflow-id", "secured-run", "--wait", "--set", "name=secured",
                        "--set", "sources=[\"http://127.0.0.1:9/gallery/\"]").toArray(String[]::new));
                assertEquals("1", run[0], run[1]);
                assertTrue(run[1].contains("no images found") && run[1].contains("BLOCKED_ADDRESS"), "the worker's verdict came back: " + run[1]);
                String[] status = cnf(secured("status", "secured-run").toArray(String[]::new));
                assertEquals("0", status[0], status[1]);
                String[] unknown = cnf(secured("status", "no-such-run").toArray(String[]::new));
                assertEquals("2", unknown[0], unknown[1]);
                assertTrue(unknown[1].contains("no such run"), unknown[1]);
            } finally {
                worker.stop.countDown();
                assertEquals(0, running.get(60, TimeUnit.SECONDS));
                pool.shutdown();
            }
        }
        assertFalse(mtlsWithKey.bearerTokens.isEmpty());
        assertTrue(mtlsWithKey.bearerTokens.stream().allMatch(("Bearer " + API_KEY)::equals), mtlsWithKey.bearerTokens.toString());
        assertTrue(mtlsWithKey.clientSubjects.contains("CN=cnf-worker"), mtlsWithKey.clientSubjects.toString());
    }

    @Test
    void eachMissingOrWrongCredentialFailsCleanlyWithItsExitCode() {
        String front = mtlsWithKey.target();
        String ca = certs.ca.toString();
        String cert = certs.clientCert.toString();
        String key = certs.clientKey.toString();

        String[] noClientCert = cnf("status", "x", "--temporal", front, "--tls-ca", ca, "--tls-server-name", SERVER_NAME, "--api-key", API_KEY);
        assertUnreachable(noClientCert, "pass --tls-cert and --tls-key");

        String[] systemTrust = cnf("status", "x", "--temporal", front, "--tls-server-name", SERVER_NAME,
                "--tls-cert", cert, "--tls-key", key, "--api-key", API_KEY);
        assertUnreachable(systemTrust, "pass your CA with --tls-ca");

        String[] wrongName = cnf("status", "x", "--temporal", front, "--tls-ca", ca, "--tls-cert", cert, "--tls-key", key, "--api-key", API_KEY);
        assertUnreachable(wrongName, "pass the name it holds with --tls-server-name");

        String[] plaintext = cnf("status", "x", "--temporal", front);
        assertUnreachable(plaintext, "add --tls");

        String[] wrongKey = cnf(secured("status", "x").stream().map(a -> a.equals(API_KEY) ? "wrong-key" : a).toArray(String[]::new));
        assertEquals("2", wrongKey[0], wrongKey[1]);
        assertTrue(wrongKey[1].contains("refused the credentials") && wrongKey[1].contains("--api-key"), wrongKey[1]);
    }

    @Test
    void badTlsFlagsAreAllNamedBeforeAnyConnection() {
        String[] r = cnf("status", "x", "--temporal", "127.0.0.1:1", "--tls-cert", dir.resolve("missing.pem").toString(),
                "--tls-ca", dir.resolve("no-ca.pem").toString());
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].contains("--tls-cert and --tls-key go together"), r[1]);
        assertTrue(r[1].contains("missing.pem (--tls-cert)") && r[1].contains("no-ca.pem (--tls-ca)"), r[1]);
        assertFalse(r[1].contains("cannot reach"), "nothing was tried: " + r[1]);
    }

    @Test
    void theEnvironmentCarriesTheSameSettingsForContainers() throws Exception {
        Map<String, String> env = Map.of("CNF_TEMPORAL", mtlsWithKey.target(), "CNF_TEMPORAL_TLS_CA", certs.ca.toString(),
                "CNF_TEMPORAL_TLS_SERVER_NAME", SERVER_NAME, "CNF_TEMPORAL_TLS_CERT", certs.clientCert.toString(),
                "CNF_TEMPORAL_TLS_KEY", certs.clientKey.toString(), "CNF_TEMPORAL_API_KEY", API_KEY);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CnfCli.class.getName(), "status", "no-such-run");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("no such run"), "reached the server through the front: " + out);
    }

    /** Runs the CLI in this JVM: {exit code, what it printed to stdout and stderr}. */
    static String[] cnf(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cl = CnfCli.commandLine();
            cl.setErr(new PrintWriter(err));
            int code = cl.execute(args);
            return new String[] {String.valueOf(code), out.toString(StandardCharsets.UTF_8) + err};
        } finally {
            System.setOut(original);
        }
    }

    private static void assertUnreachable(String[] result, String hint) {
        assertEquals("3", result[0], result[1]);
        assertTrue(result[1].contains(hint), "names what to check (" + hint + "): " + result[1]);
        assertEquals(1, result[1].strip().lines().count(), "one line, no stack trace: " + result[1]);
    }
}
