package dev.cnf.activities.ingest;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** Per-host politeness holds however many threads fetch at once. Bounds are one-sided: a slow machine cannot break them. */
class PerHostLimitsTest {
    @Test
    @Timeout(60)
    void concurrencyAndPacingPerHost() throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        List<Long> starts = Collections.synchronizedList(new ArrayList<>());
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            starts.add(System.nanoTime());
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                Thread.sleep(150);
                byte[] body = ex.getRequestURI().getPath().equals("/robots.txt") ? "User-agent: *\nCrawl-delay: 0.3\n".getBytes() : new byte[] {1};
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
                ex.close();
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(16));
        server.start();
        String origin = "127.0.0.1:" + server.getAddress().getPort();
        try {
            FetchPolicy policy = FetchPolicy.defaults().withHostLimits(2, Duration.ofMillis(100));
            HttpFetcher fetcher = new HttpFetcher(new AddressPolicy(Set.of(origin)), policy);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<HttpFetcher.Response>> all = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                URI u = URI.create("http://" + origin + "/img-" + i + ".png");
                all.add(pool.submit(() -> fetcher.get(u)));
            }
            for (Future<HttpFetcher.Response> f : all) {
                assertTrue(f.get().ok(), String.valueOf(f.get().detail()));
            }
            pool.shutdown();
            assertTrue(maxInFlight.get() <= 2, "at most 2 requests in flight to the host, saw " + maxInFlight.get());
            List<Long> sorted = new ArrayList<>(starts);
            Collections.sort(sorted);
            // robots.txt first, then 8 requests at least Crawl-delay (300 ms, above our 100 ms) apart
            for (int i = 2; i < sorted.size(); i++) {
                long gapMs = (sorted.get(i) - sorted.get(i - 1)) / 1_000_000;
                assertTrue(gapMs >= 250, "request starts " + gapMs + " ms apart; robots.txt asks for 300");
            }
            assertEquals(9, sorted.size());
        } finally {
            server.stop(0);
        }
    }
}
