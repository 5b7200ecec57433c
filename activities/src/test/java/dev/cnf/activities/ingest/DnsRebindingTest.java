package dev.cnf.activities.ingest;

import com.sun.net.httpserver.HttpServer;
import dev.cnf.activities.dataset.DropReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A host that answers the policy's lookup with a public address and the next lookup with loopback
 * (DNS rebinding) must not be fetched from loopback: the fetcher connects only to addresses the
 * policy checked. The "internal service" is a local server that counts the requests reaching it.
 */
class DnsRebindingTest {
    static final InetAddress PUBLIC = address(new byte[] {93, (byte) 184, (byte) 215, 14});

    HttpServer internal;
    final AtomicInteger reached = new AtomicInteger();

    static InetAddress address(byte[] ip) {
        try {
            return InetAddress.getByAddress(ip);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeEach
    void start() throws Exception {
        internal = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        internal.createContext("/", ex -> {
            reached.incrementAndGet();
            byte[] body = "internal secret".getBytes();
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        internal.start();
    }

    @AfterEach
    void stop() {
        internal.stop(0);
    }

    FetchPolicy noRobots() {
        FetchPolicy d = FetchPolicy.defaults();
        return new FetchPolicy(d.maxRedirects(), d.maxBytes(), d.connectTimeout(), d.readTimeout(), d.totalTimeout(), 0, d.backoff(),
                d.maxRetryAfter(), d.perHostConcurrency(), d.perHostInterval(), false, d.optOutDirectives());
    }

    @Test
    @Timeout(30)
    void aHostThatRebindsToLoopbackAfterTheCheckIsNotFetched() {
        // "localhost" so that any resolution but the policy's (the system's) would reach the service
        AtomicInteger lookups = new AtomicInteger();
        AddressPolicy.Resolver rebinding = host -> lookups.incrementAndGet() == 1 ? List.of(PUBLIC) : List.of(InetAddress.getLoopbackAddress());
        AddressPolicy policy = new AddressPolicy(Set.of(), rebinding);
        URI uri = URI.create("http://localhost:" + internal.getAddress().getPort() + "/x.jpg");

        HttpFetcher.Response r = new HttpFetcher(policy, noRobots()).get(uri);
        assertEquals(2, lookups.get(), "one lookup for the URL check (public), one for the connection (loopback)");
        assertEquals(DropReason.BLOCKED_ADDRESS, r.failure(), r.detail());
        assertTrue(r.detail().contains("non-public address 127.0.0.1") && r.detail().contains("at connect"), r.detail());
        assertEquals(0, reached.get(), "no request reached the loopback service");
    }

    @Test
    @Timeout(30)
    void anAllowListedHostIsFetchedOnItsPortAndTheBodyLimitCountsDecodedBytes() throws Exception {
        int port = internal.getAddress().getPort();
        internal.createContext("/bomb", ex -> { // 4 MB of zeros as ~4 kB of gzip
            ex.getResponseHeaders().add("Content-Encoding", "gzip");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = new GZIPOutputStream(ex.getResponseBody())) {
                out.write(new byte[4 << 20]);
            }
        });
        AddressPolicy policy = new AddressPolicy(Set.of("127.0.0.1:" + port));
        HttpFetcher fetcher = new HttpFetcher(policy, noRobots().withMaxBytes(1 << 20));
        HttpFetcher.Response ok = fetcher.get(URI.create("http://127.0.0.1:" + port + "/x.jpg"));
        assertTrue(ok.ok(), ok.detail());
        assertEquals("internal secret", new String(ok.body()));
        HttpFetcher.Response bomb = fetcher.get(URI.create("http://127.0.0.1:" + port + "/bomb"));
        assertEquals(DropReason.TOO_LARGE_BYTES, bomb.failure(), "1 MiB limit on the decoded body: " + bomb.detail());
    }
}
