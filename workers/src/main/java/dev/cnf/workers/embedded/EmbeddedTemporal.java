package dev.cnf.workers.embedded;

import io.temporal.testserver.TestServer;

/**
 * Temporal's Java test server as a real gRPC server on 127.0.0.1, so the workers and the client
 * connect over the network exactly as they would to a cluster. It has no Schedules API and no UI.
 */
public final class EmbeddedTemporal implements AutoCloseable {
    private final TestServer.PortBoundTestServer server;
    private final int port;

    private EmbeddedTemporal() {
        // createPortBoundServer cannot report an ephemeral port, so pick a free one first. Time skipping
        // stays locked (true): time runs as on a real server. Unlocked, the test server jumps an idle
        // workflow (e.g. a paused run) straight to its timeout.
        port = FreePort.find();
        server = TestServer.createPortBoundServer(port, true);
    }

    public static EmbeddedTemporal start() {
        return new EmbeddedTemporal();
    }

    public String target() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        server.close();
    }
}
