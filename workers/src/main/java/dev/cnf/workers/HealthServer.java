package dev.cnf.workers;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The worker's HTTP side for Kubernetes: {@code /healthz} (process alive), {@code /readyz} (polling
 * started) and {@code /metrics} (Prometheus text: up-time and readiness, then the Temporal SDK's and
 * the stages' metrics from {@link WorkerMetrics}).
 */
public final class HealthServer implements AutoCloseable {
    private final HttpServer server;
    private final long startedNanos = System.nanoTime();

    public HealthServer(String host, int port, BooleanSupplier ready, java.util.function.Supplier<String> moreMetrics) throws IOException {
        server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext("/healthz", ex -> reply(ex, 200, "ok\n"));
        server.createContext("/readyz", ex -> reply(ex, ready.getAsBoolean() ? 200 : 503, ready.getAsBoolean() ? "ready\n" : "starting\n"));
        server.createContext("/metrics", ex -> reply(ex, 200,
                "# HELP cnf_worker_uptime_seconds Seconds since this worker started.\n"
                        + "# TYPE cnf_worker_uptime_seconds gauge\n"
                        + "cnf_worker_uptime_seconds " + (System.nanoTime() - startedNanos) / 1e9 + "\n"
                        + "# HELP cnf_worker_ready Whether the worker polls its task queues.\n"
                        + "# TYPE cnf_worker_ready gauge\n"
                        + "cnf_worker_ready " + (ready.getAsBoolean() ? 1 : 0) + "\n"
                        + moreMetrics.get()));
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cnf-health");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
