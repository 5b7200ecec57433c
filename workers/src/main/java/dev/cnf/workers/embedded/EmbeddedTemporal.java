package dev.cnf.workers.embedded;

import io.temporal.testserver.TestServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The embedded Temporal, on 127.0.0.1: by default a real Temporal server with its Web UI ({@code cnf-temporal}, which
 * {@code ./cnf} builds from {@code devserver/} with the machine's Go), its state in a SQLite file under the data folder,
 * so runs outlive the process; without Go, Temporal's Java test server, in memory, with no UI and no Schedules API.
 * Either way the workers and the client connect over gRPC, as to a cluster.
 */
public final class EmbeddedTemporal implements AutoCloseable {
    /** System property naming the {@code cnf-temporal} binary; {@code ./cnf} sets it when Go could build it. */
    public static final String SERVER_BINARY = "cnf.temporalServer";
    /** System property: why there is no binary (e.g. no Go), for the message that announces the fallback. */
    public static final String NO_SERVER_REASON = "cnf.temporalServerMissing";

    private final String target;
    private final String uiUrl;
    private final String description;
    private final TestServer.PortBoundTestServer testServer;
    private final Process process;

    private EmbeddedTemporal(String target, String uiUrl, String description, TestServer.PortBoundTestServer testServer, Process process) {
        this.target = target;
        this.uiUrl = uiUrl;
        this.description = description;
        this.testServer = testServer;
        this.process = process;
    }

    /** The real server when {@link #SERVER_BINARY} names one, else the test server (see {@link #description()}). */
    public static EmbeddedTemporal start(Path dataDir) throws IOException {
        String binary = System.getProperty(SERVER_BINARY, "").strip();
        if (!binary.isEmpty()) {
            return startServer(Path.of(binary), dataDir.toAbsolutePath().resolve("temporal"));
        }
        String why = System.getProperty(NO_SERVER_REASON, "no cnf-temporal binary was given (-D" + SERVER_BINARY + ")");
        return startTestServer("Temporal's Java test server, because " + why + ": in memory (runs do not outlive this process), no Web UI,"
                + " no Schedules API. Install Go (see the README) and ./cnf builds the real server.");
    }

    /** Temporal's Java test server (time skipping locked: time runs as on a real server). */
    public static EmbeddedTemporal startTestServer(String description) {
        // createPortBoundServer cannot report an ephemeral port, so pick a free one first. Unlocked, the test server
        // would jump an idle workflow (e.g. a paused run) straight to its timeout.
        int port = FreePort.find();
        return new EmbeddedTemporal("127.0.0.1:" + port, null, description, TestServer.createPortBoundServer(port, true), null);
    }

    /**
     * Starts {@code cnf-temporal} on Temporal's usual ports (7233, UI 8233) where they are free, else on free ones, with
     * its state in {@code stateDir/temporal.db}; returns once it serves. Its stdin is a pipe from this process: when this
     * process dies, even by kill -9, the server sees the pipe close and stops, so no orphan holds the database.
     */
    public static EmbeddedTemporal startServer(Path binary, Path stateDir) throws IOException {
        if (!Files.isExecutable(binary)) {
            throw new IllegalArgumentException("-D" + SERVER_BINARY + "=" + binary + ": no executable there; run devserver/build.sh");
        }
        Files.createDirectories(stateDir);
        IOException failed = null;
        // A port found free can be taken before the server binds it (its internal services pick free ports too); the
        // server then exits at once, and another start on other ports succeeds.
        for (int attempt = 1; attempt <= 3; attempt++) {
            int port = attempt == 1 ? portOr(7233) : FreePort.find();
            int uiPort = attempt == 1 ? portOr(8233) : FreePort.find();
            Process p = new ProcessBuilder(binary.toString(), "--ip", "127.0.0.1", "--port", String.valueOf(port), "--ui-port", String.valueOf(uiPort),
                    "--db-filename", stateDir.resolve("temporal.db").toString(), "--log-file", stateDir.resolve("server.log").toString(),
                    "--exit-with-stdin")
                    .redirectError(ProcessBuilder.Redirect.appendTo(stateDir.resolve("server.err").toFile()))
                    .start();
            try {
                readyLine(p, stateDir);
                return new EmbeddedTemporal("127.0.0.1:" + port, "http://127.0.0.1:" + uiPort, "a real Temporal server (devserver/), its state in "
                        + stateDir.resolve("temporal.db") + ": runs outlive this process", null, p);
            } catch (ExitedEarly e) {
                failed = e;
            }
        }
        throw failed;
    }

    /** The server process ended before it said it was ready (a server that stays silent is not started again). */
    private static final class ExitedEarly extends IOException {
        ExitedEarly(String message) {
            super(message);
        }
    }

    /** Waits for the server's "ready" line (returns what follows it); a server that exits or stays silent fails with what it wrote. */
    private static String readyLine(Process p, Path stateDir) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                for (String l; (l = out.readLine()) != null; ) {
                    if (l.startsWith("cnf-temporal ready")) {
                        return l.substring("cnf-temporal ready".length()).strip();
                    }
                }
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            String ready = line.get(180, TimeUnit.SECONDS);
            if (ready != null) {
                return ready;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // reported below, with the server's own words
        }
        boolean exited; // its output ends a moment before the process does
        try {
            exited = p.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exited = false;
        }
        p.destroyForcibly();
        String message = "cnf-temporal did not start (exit " + (exited ? p.exitValue() : "none") + "); its last words in "
                + lastLines(stateDir.resolve("server.err"), 10) + "\nand its log " + lastLines(stateDir.resolve("server.log"), 5);
        throw exited ? new ExitedEarly(message) : new IOException(message);
    }

    /** A file's name and its last lines, for an error message. */
    private static String lastLines(Path file, int lines) throws IOException {
        List<String> all = Files.exists(file) ? Files.readAllLines(file) : List.of();
        return file + ":\n  " + String.join("\n  ", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static int portOr(int preferred) {
        try (ServerSocket s = new ServerSocket(preferred, 1, InetAddress.getLoopbackAddress())) {
            return preferred;
        } catch (IOException taken) {
            return FreePort.find();
        }
    }

    public String target() {
        return target;
    }

    /** The Web UI's address, or null for the test server, which has none. */
    public String uiUrl() {
        return uiUrl;
    }

    /** Which server this is and what it keeps, for people. */
    public String description() {
        return description;
    }

    /** Whether runs outlive this process (the real server keeps them in its database). */
    public boolean durable() {
        return process != null;
    }

    @Override
    public void close() {
        if (testServer != null) {
            testServer.close();
        }
        if (process != null) {
            process.destroy(); // SIGTERM: the server stops its services and closes the database
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
