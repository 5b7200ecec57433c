package dev.cnf.activities.ingest;

import dev.cnf.activities.dataset.DropReason;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * GETs a URL politely and safely: our user agent, timeouts, at most {@code maxRedirects} hops each
 * checked by the {@link AddressPolicy}, and at most {@code maxBytes} read.
 */
public final class HttpFetcher {
    public static final String USER_AGENT = "cnf-controlnet-factory/0.1 (+dataset ingestion; honours robots opt-outs)";

    /** Either a body or a drop reason with a detail. */
    public record Response(URI finalUri, int status, String contentType, byte[] body, DropReason failure, String detail) {
        public boolean ok() {
            return failure == null;
        }
    }

    private final HttpClient client;
    private final AddressPolicy policy;
    private final int maxRedirects;
    private final long maxBytes;
    private final Duration timeout;

    public HttpFetcher(AddressPolicy policy, int maxRedirects, long maxBytes, Duration connectTimeout, Duration timeout) {
        this.policy = policy;
        this.maxRedirects = maxRedirects;
        this.maxBytes = maxBytes;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER) // every hop is checked by us
                .connectTimeout(connectTimeout)
                .build();
    }

    public Response get(URI uri) {
        URI current = uri;
        for (int hop = 0; hop <= maxRedirects; hop++) {
            String blocked = policy.check(current);
            if (blocked != null) {
                return fail(current, DropReason.BLOCKED_ADDRESS, blocked);
            }
            HttpRequest req = HttpRequest.newBuilder(current).timeout(timeout).header("User-Agent", USER_AGENT).GET().build();
            HttpResponse<InputStream> resp;
            try {
                resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            } catch (HttpTimeoutException e) {
                return fail(current, DropReason.TIMEOUT, e.getMessage());
            } catch (IOException e) {
                return fail(current, DropReason.NETWORK_ERROR, String.valueOf(e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail(current, DropReason.NETWORK_ERROR, "interrupted");
            }
            int status = resp.statusCode();
            if (status >= 300 && status < 400 && resp.headers().firstValue("Location").isPresent()) {
                close(resp);
                current = current.resolve(resp.headers().firstValue("Location").get());
                continue;
            }
            if (status >= 400) {
                close(resp);
                return fail(current, status < 500 ? DropReason.HTTP_4XX : DropReason.HTTP_5XX, "HTTP " + status);
            }
            try (InputStream in = resp.body()) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = in.read(buf)) != -1) {
                    out.write(buf, 0, n);
                    if (out.size() > maxBytes) {
                        return fail(current, DropReason.TOO_LARGE_BYTES, "more than " + maxBytes + " bytes");
                    }
                }
                return new Response(current, status, resp.headers().firstValue("Content-Type").orElse(""), out.toByteArray(), null, null);
            } catch (IOException e) {
                return fail(current, DropReason.NETWORK_ERROR, "body: " + e.getMessage());
            }
        }
        return fail(uri, DropReason.TOO_MANY_REDIRECTS, "more than " + maxRedirects + " redirects");
    }

    private static void close(HttpResponse<InputStream> resp) {
        try {
            resp.body().close();
        } catch (IOException ignored) {
            // nothing to save
        }
    }

    private static Response fail(URI uri, DropReason reason, String detail) {
        return new Response(uri, 0, "", null, reason, detail);
    }
}
