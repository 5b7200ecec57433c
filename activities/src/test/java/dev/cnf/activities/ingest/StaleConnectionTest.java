package dev.cnf.activities.ingest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A server that closes a keep-alive connection soon after answering on it (as servers do after their
 * idle timeout) must not cost the next fetch: the pooled connection's failure is retried on a fresh
 * one, with no attempt of ours spent (retries are off here, so only that can make it pass).
 */
class StaleConnectionTest {
    @Test
    @Timeout(30)
    void aKeepAliveConnectionTheServerClosedIsReplacedNotFailed() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread accept = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        connections.incrementAndGet();
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                            // request line and headers
                        }
                        OutputStream out = s.getOutputStream();
                        out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        Thread.sleep(100); // then the "idle timeout": closed without Connection: close
                    } catch (Exception e) {
                        // the test closed the server
                    }
                }
            });
            accept.setDaemon(true);
            accept.start();
            String origin = "127.0.0.1:" + server.getLocalPort();
            FetchPolicy d = FetchPolicy.defaults();
            FetchPolicy noRetries = new FetchPolicy(d.maxRedirects(), d.maxBytes(), d.connectTimeout(), d.readTimeout(), d.totalTimeout(),
                    0, d.backoff(), d.maxRetryAfter(), d.perHostConcurrency(), d.perHostInterval(), false, d.optOutDirectives());
            HttpFetcher fetcher = new HttpFetcher(new AddressPolicy(Set.of(origin)), noRetries);
            HttpFetcher.Response first = fetcher.get(URI.create("http://" + origin + "/a.txt"));
            assertTrue(first.ok(), first.detail());
            Thread.sleep(400); // the server has closed the connection the client keeps pooled
            HttpFetcher.Response second = fetcher.get(URI.create("http://" + origin + "/b.txt"));
            assertTrue(second.ok(), second.detail());
            assertEquals("ok", new String(second.body(), StandardCharsets.ISO_8859_1));
            assertEquals(1, second.attempts());
            assertEquals(2, connections.get(), "the second fetch needed a fresh connection");
        }
    }
}
