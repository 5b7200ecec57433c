package dev.cnf.activities.ingest;

import com.sun.net.httpserver.HttpServer;
import dev.cnf.activities.dataset.DropReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/**
 * robots.txt cannot be bypassed through encoding: the path that is checked is the path that goes on the wire, and a
 * URL that a lenient server would serve from a disallowed path is refused too. The server logs every request target as
 * it arrived (raw, undecoded), and no disallowed path is ever among them.
 */
class RobotsEncodingTest {
    static HttpServer server;
    static final List<String> requested = new CopyOnWriteArrayList<>();
    static String origin;

    @BeforeAll
    static void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String target = ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
            requested.add(target);
            byte[] body;
            if (target.equals("/robots.txt")) {
                body = "User-agent: *\nDisallow: /private\nDisallow: /ümlaut/\nDisallow: /*?secret=\n".getBytes(StandardCharsets.UTF_8);
            } else if (target.startsWith("/redirect/")) {
                ex.getResponseHeaders().add("Location", target.substring("/redirect".length()));
                ex.sendResponseHeaders(302, -1);
                ex.close();
                return;
            } else {
                body = new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
            }
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        origin = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    static HttpFetcher fetcher() {
        return new HttpFetcher(new AddressPolicy(Set.of(origin.substring("http://".length()))), FetchPolicy.defaults());
    }

    @Test
    void theWireFormIsNormalisedBeforeAnyCheck() {
        assertEquals("/private/x.jpg", WireUri.of("http://h/img/%2e%2e/private/x.jpg").getRawPath(), "%2e%2e is .., resolved");
        assertEquals("/private/x.jpg", WireUri.of("http://h/img/%2E%2E/private/x.jpg").getRawPath());
        assertEquals("/img/a%2Fb.jpg", WireUri.of("http://h/img/a%2fb.jpg").getRawPath(), "an encoded slash stays one, upper-cased");
        assertEquals("/img/a%2Fb.jpg", WireUri.of("http://h/img/a%2Fb.jpg").getRawPath());
        assertEquals("/img/%252Fx.jpg", WireUri.of("http://h/img/%252Fx.jpg").getRawPath(), "an encoded percent stays one");
        assertEquals("/private/x.jpg", WireUri.of("http://h/img/./..//private/./x.jpg").getRawPath(), "/./, .. and // resolved");
        assertEquals("/private/x.jpg", WireUri.of("http://h//private/x.jpg").getRawPath());
        assertEquals("/%C3%BCmlaut/x.jpg", WireUri.of("http://h/ümlaut/x.jpg").getRawPath(), "non-ASCII as UTF-8 escapes");
        assertEquals("/%C3%BCmlaut/x.jpg", WireUri.of("http://h/%c3%bcmlaut/x.jpg").getRawPath());
        assertEquals("/~joe/A.jpg", WireUri.of("http://h/%7ejoe/%41.jpg").getRawPath(), "unreserved characters decoded");
        assertEquals("/", WireUri.of("http://h/a/../..").getRawPath(), ".. never climbs above the root");
        assertEquals("http://h:8080/x?q=a%2Fb", WireUri.of("HTTP://H:8080/x?q=a%2fb#frag").toString(), "host lower case, no fragment");
        assertNull(WireUri.of("ftp://h/x"));
        assertNull(WireUri.of("/relative"));
        assertEquals(Set.of("/img/..%2Fprivate/x", "/private/x"), WireUri.servedAs("/img/..%2Fprivate/x"));
        assertTrue(WireUri.servedAs("/img/..%252Fprivate/x").contains("/private/x"), "a server that decodes twice");
    }

    @Test
    @Timeout(60)
    void noDisallowedPathIsEverRequested() {
        HttpFetcher fetcher = fetcher();
        List<String> refusedUrls = List.of(
                "/img/%2e%2e/private/a.jpg", "/img/%2E%2E/private/b.jpg", "/img/..%2fprivate/c.jpg", "/img/..%2Fprivate/d.jpg",
                "/img/..%252fprivate/e.jpg", "/img/./..//private/./f.jpg", "//private/g.jpg", "/ümlaut/h.jpg", "/%c3%bcmlaut/i.jpg",
                "/img/%5c..%5cprivate/j.jpg", "/img/k.jpg?secret=1", "/redirect/img/%2e%2e/private/l.jpg");
        for (String path : refusedUrls) {
            URI u = WireUri.of(origin + path);
            assertNotNull(u, path);
            HttpFetcher.Response r = fetcher.get(u);
            assertEquals(DropReason.ROBOTS_DISALLOWED, r.failure(), path + " must be refused: " + r.detail());
        }
        for (String path : List.of("/img/ok.jpg", "/img/a%2Fb.jpg", "/public/%C3%BCmlaut.jpg", "/img/%252Fname.jpg")) {
            HttpFetcher.Response r = fetcher.get(WireUri.of(origin + path));
            assertTrue(r.ok(), path + ": " + r.detail());
        }
        for (String target : requested) {
            for (String served : WireUri.servedAs(target.contains("?") ? target.substring(0, target.indexOf('?')) : target)) {
                assertFalse(served.startsWith("/private") || served.startsWith("/%C3%BCmlaut/") || target.contains("secret="),
                        "requested " + target + " (served as " + served + "): disallowed by robots.txt; all requests: " + requested);
            }
        }
        assertTrue(requested.contains("/img/a%2Fb.jpg"), "a legitimate encoded slash goes out as it was: " + requested);
        assertTrue(requested.contains("/redirect/private/l.jpg"), "the redirect was followed only as far as robots.txt allows: " + requested);
    }
}
