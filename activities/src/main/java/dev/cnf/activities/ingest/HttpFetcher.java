package dev.cnf.activities.ingest;

import dev.cnf.activities.dataset.DropReason;

import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Dispatcher;
import okhttp3.Headers;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * GETs a URL politely and safely. Every hop (redirects are followed by us, at most
 * {@link FetchPolicy#maxRedirects}) is checked against the {@link AddressPolicy} after DNS
 * resolution and against the host's robots.txt; per-host concurrency and pacing come from a
 * {@link HostGate}; an attempt ends after the read (silence) or total timeout or when the body
 * passes {@link FetchPolicy#maxBytes} (counted after any gzip decoding, so a compressed bomb is cut
 * too); 429, 5xx, timeouts and network errors are retried with exponential backoff or the server's
 * Retry-After.
 *
 * <p>The HTTP client is OkHttp because it lets the policy be its DNS ({@link AddressPolicy#lookup}): the
 * addresses checked are the addresses connected to, with no second resolution a rebinding host could
 * answer differently (java.net.http in Java 17 has no resolver hook). No proxy is used, which would
 * resolve names itself.
 */
public final class HttpFetcher {
    /** The product token robots.txt groups are matched against. */
    public static final String ROBOTS_TOKEN = "cnf";
    public static final String USER_AGENT = "cnf/0.1 (ControlNet Factory dataset ingestion; obeys robots.txt and X-Robots-Tag noai)";

    /**
     * Either a body or a drop reason with a detail.
     *
     * @param robotsDirectives X-Robots-Tag directives addressed to everyone or to us, lower case
     */
    public record Response(URI finalUri, int status, String contentType, byte[] body, DropReason failure, String detail,
                           int attempts, Set<String> robotsDirectives) {
        public boolean ok() {
            return failure == null;
        }
    }

    private final OkHttpClient client;
    private final AddressPolicy addresses;
    private final FetchPolicy policy;
    private final HostGate gate;
    private final ConcurrentHashMap<String, RobotsTxt> robots = new ConcurrentHashMap<>();

    public HttpFetcher(AddressPolicy addresses, FetchPolicy policy) {
        this.addresses = addresses;
        this.policy = policy;
        this.gate = new HostGate(policy.perHostConcurrency(), policy.perHostInterval());
        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequests(1024); // the host gate limits per host; the caller's threads limit in total
        dispatcher.setMaxRequestsPerHost(1024);
        this.client = new OkHttpClient.Builder()
                .dns(addresses::lookup) // what is connected to is what the policy checked
                .proxy(Proxy.NO_PROXY)
                .followRedirects(false) // every hop is checked by us
                .followSslRedirects(false)
                // a pooled keep-alive connection the server has since closed is retried on a fresh one (only
                // connection-level failures; HTTP errors and timeouts are retried by us, with backoff)
                .retryOnConnectionFailure(true)
                .connectTimeout(policy.connectTimeout())
                .readTimeout(policy.readTimeout())
                .callTimeout(policy.totalTimeout())
                .dispatcher(dispatcher)
                .build();
    }

    public FetchPolicy policy() {
        return policy;
    }

    public Response get(URI uri) {
        return get(uri, () -> { });
    }

    /** @param tick called about once a second while waiting, so a caller can heartbeat */
    public Response get(URI uri, Runnable tick) {
        Response last = null;
        for (int attempt = 1; attempt <= policy.maxRetries() + 1; attempt++) {
            Attempt a = attempt(uri, tick, true);
            last = a.response(attempt);
            if (!a.retryable() || attempt == policy.maxRetries() + 1) {
                break;
            }
            Duration wait = a.retryAfter() != null ? a.retryAfter() : policy.backoff().multipliedBy(1L << (attempt - 1));
            if (wait.compareTo(policy.maxRetryAfter()) > 0) {
                return new Response(last.finalUri(), last.status(), "", null, last.failure(),
                        last.detail() + "; Retry-After " + wait.toSeconds() + " s is longer than the " + policy.maxRetryAfter().toSeconds()
                                + " s we wait", attempt, Set.of());
            }
            if (!sleep(wait, tick)) {
                return new Response(uri, 0, "", null, DropReason.NETWORK_ERROR, "interrupted", attempt, Set.of());
            }
        }
        return last;
    }

    /** One attempt, following redirects. */
    private record Attempt(URI uri, int status, String contentType, byte[] body, DropReason failure, String detail,
                           boolean retryable, Duration retryAfter, Set<String> directives) {
        Response response(int attempts) {
            String d = failure != null && attempts > 1 ? detail + " (after " + attempts + " attempts)" : detail;
            return new Response(uri, status, contentType, body, failure, d, attempts, directives);
        }

        static Attempt fail(URI uri, DropReason reason, String detail, boolean retryable) {
            return new Attempt(uri, 0, "", null, reason, detail, retryable, null, Set.of());
        }
    }

    private Attempt attempt(URI uri, Runnable tick, boolean checkRobots) {
        // every hop is checked and requested in one form: what robots.txt and the address policy see goes on the wire
        URI current = WireUri.of(uri.toString());
        if (current == null) {
            return Attempt.fail(uri, DropReason.INVALID_URL, "not an absolute http(s) URL", false);
        }
        for (int hop = 0; hop <= policy.maxRedirects(); hop++) {
            String blocked = addresses.check(current);
            if (blocked != null) {
                return Attempt.fail(current, DropReason.BLOCKED_ADDRESS, blocked + (hop > 0 ? " (redirected from " + uri + ")" : ""), false);
            }
            if (checkRobots && policy.obeyRobots()) {
                String refused = robotsRefusal(current, tick);
                if (refused != null) {
                    return Attempt.fail(current, DropReason.ROBOTS_DISALLOWED, refused, false);
                }
            }
            Attempt a = send(current, tick);
            if (a.status() >= 300 && a.status() < 400 && a.detail() != null) {
                URI next = WireUri.resolve(current, a.detail());
                if (next == null) {
                    return Attempt.fail(current, DropReason.HTTP_3XX, "unusable Location '" + a.detail() + "'", false);
                }
                current = next;
                continue;
            }
            return a;
        }
        return Attempt.fail(uri, DropReason.TOO_MANY_REDIRECTS, "more than " + policy.maxRedirects() + " redirects", false);
    }

    /** A response's status, headers and, for a 2xx within the byte limit, its body. */
    private record Fetched(int status, Headers headers, byte[] body) {}

    /** A single request; a redirect comes back with status 3xx and its Location in {@code detail}. */
    private Attempt send(URI uri, Runnable tick) {
        String hostPort = hostPort(uri);
        try {
            gate.acquire(hostPort);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Attempt.fail(uri, DropReason.NETWORK_ERROR, "interrupted", false);
        }
        AtomicLong lastActivity = new AtomicLong(System.nanoTime());
        Call call = null;
        try {
            Request req = new Request.Builder().url(uri.toString()).header("User-Agent", USER_AGENT).get().build();
            call = client.newCall(req);
            CompletableFuture<Fetched> future = new CompletableFuture<>();
            call.enqueue(new Callback() {
                @Override
                public void onFailure(Call c, IOException e) {
                    future.completeExceptionally(e);
                }

                @Override
                public void onResponse(Call c, okhttp3.Response response) {
                    try (response) {
                        lastActivity.set(System.nanoTime());
                        future.complete(new Fetched(response.code(), response.headers(), body(response, lastActivity)));
                    } catch (Throwable t) {
                        future.completeExceptionally(t);
                    }
                }
            });
            long deadline = System.nanoTime() + policy.totalTimeout().toNanos();
            Fetched resp;
            while (true) {
                try {
                    resp = future.get(Math.min(1000, Math.max(1, policy.readTimeout().toMillis())), TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException waiting) {
                    tick.run();
                    long now = System.nanoTime();
                    if (now > deadline) {
                        call.cancel();
                        return Attempt.fail(uri, DropReason.TIMEOUT, "no complete response within " + policy.totalTimeout().toSeconds() + " s", true);
                    }
                    if (now - lastActivity.get() > policy.readTimeout().toNanos()) {
                        call.cancel();
                        return Attempt.fail(uri, DropReason.TIMEOUT, "no data for " + policy.readTimeout().toMillis() + " ms", true);
                    }
                }
            }
            return interpret(uri, resp);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TooLarge) {
                return Attempt.fail(uri, DropReason.TOO_LARGE_BYTES, "more than " + policy.maxBytes() + " bytes", false);
            }
            if (cause instanceof AddressPolicy.Blocked) {
                return Attempt.fail(uri, DropReason.BLOCKED_ADDRESS, cause.getMessage() + " (at connect)", false);
            }
            if (cause instanceof InterruptedIOException) { // OkHttp's read, connect and call timeouts
                return Attempt.fail(uri, DropReason.TIMEOUT, cause.getClass().getSimpleName() + ": " + cause.getMessage(), true);
            }
            return Attempt.fail(uri, DropReason.NETWORK_ERROR, cause == null ? e.toString() : cause.getClass().getSimpleName() + ": " + cause.getMessage(), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (call != null) {
                call.cancel();
            }
            return Attempt.fail(uri, DropReason.NETWORK_ERROR, "interrupted", false);
        } catch (IllegalArgumentException e) {
            return Attempt.fail(uri, DropReason.INVALID_URL, e.getMessage(), false);
        } finally {
            gate.release(hostPort);
        }
    }

    /**
     * The body of a 2xx response whose declared length is within the limit, read in chunks so an
     * undeclared or lying length is cut at the limit; null for anything else (not worth reading).
     */
    private byte[] body(okhttp3.Response response, AtomicLong lastActivity) throws IOException {
        ResponseBody body = response.body();
        if (!response.isSuccessful() || body == null || body.contentLength() > policy.maxBytes()) {
            return null;
        }
        BufferedSource source = body.source();
        Buffer buf = new Buffer();
        long read;
        while ((read = source.read(buf, 64 * 1024)) != -1) {
            lastActivity.set(System.nanoTime());
            if (read > 0 && buf.size() > policy.maxBytes()) {
                throw new TooLarge();
            }
        }
        return buf.readByteArray();
    }

    private Attempt interpret(URI uri, Fetched resp) {
        int status = resp.status();
        Set<String> directives = robotsDirectives(resp.headers().values("X-Robots-Tag"));
        String type = header(resp, "Content-Type", "");
        if (status >= 300 && status < 400) {
            String location = header(resp, "Location", null);
            return location != null ? new Attempt(uri, status, type, null, null, location, false, null, directives)
                    : Attempt.fail(uri, DropReason.HTTP_3XX, "HTTP " + status + " without Location", false);
        }
        if (status == 429 || status >= 500) {
            Duration after = retryAfter(header(resp, "Retry-After", null));
            DropReason reason = status == 429 ? DropReason.RATE_LIMITED : DropReason.HTTP_5XX;
            return new Attempt(uri, status, type, null, reason, "HTTP " + status, true, after, directives);
        }
        if (status >= 400) {
            return new Attempt(uri, status, type, null, DropReason.HTTP_4XX, "HTTP " + status, false, null, directives);
        }
        if (status < 200 || status >= 300) {
            return new Attempt(uri, status, type, null, DropReason.HTTP_3XX, "HTTP " + status, false, null, directives);
        }
        if (resp.body() == null) {
            return Attempt.fail(uri, DropReason.TOO_LARGE_BYTES, "Content-Length " + header(resp, "Content-Length", "?") + " is over "
                    + policy.maxBytes() + " bytes", false);
        }
        return new Attempt(uri, status, type, resp.body(), null, null, false, null, directives);
    }

    private static String header(Fetched resp, String name, String otherwise) {
        String v = resp.headers().get(name);
        return v == null ? otherwise : v;
    }

    /** Pacing handed over from the worker that fetched these hosts before (see {@link HostGate#seed}). */
    void seedLastStarts(Map<String, Long> lastStartEpochMillis) {
        gate.seed(lastStartEpochMillis);
    }

    /** When requests to these host:ports last started here (epoch millis), to hand over to the next worker. */
    Map<String, Long> lastStarts(Set<String> hostPorts) {
        return gate.lastStarts(hostPorts);
    }

    /** Reason robots.txt refuses the URL, or null. Unreachable robots.txt (5xx, network) means "disallow all" (RFC 9309 2.3.1.4). */
    private String robotsRefusal(URI uri, Runnable tick) {
        String hostPort = hostPort(uri);
        RobotsTxt rules = robots.computeIfAbsent(uri.getScheme() + "://" + hostPort, origin -> {
            Attempt a = attempt(URI.create(origin + "/robots.txt"), tick, false);
            if (a.failure() == null) {
                return RobotsTxt.parse(new String(a.body(), StandardCharsets.UTF_8), ROBOTS_TOKEN);
            }
            if (a.failure() == DropReason.HTTP_4XX || a.failure() == DropReason.TOO_MANY_REDIRECTS) {
                return RobotsTxt.allowAll(); // "unavailable": no rules
            }
            return RobotsTxt.disallowAll(); // "unreachable": assume complete disallow
        });
        gate.setCrawlDelay(hostPort, rules.crawlDelay());
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        // the wire path, and what a lenient server could serve for it (encoded slashes as separators): any refused, refused
        for (String path : WireUri.servedAs(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())) {
            if (!rules.allows(path + query)) {
                String wire = uri.getRawPath() + query;
                return "robots.txt of " + hostPort + " disallows " + path + query + (path.equals(uri.getRawPath()) ? "" : " (as a server may read "
                        + wire + ")") + " for user agent '" + ROBOTS_TOKEN + "'";
            }
        }
        return null;
    }

    /** Directives from X-Robots-Tag values that apply to everyone or name our token ("cnf: noai"). */
    static Set<String> robotsDirectives(List<String> headerValues) {
        Set<String> out = new LinkedHashSet<>();
        for (String value : headerValues) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            int colon = v.indexOf(':');
            if (colon > 0 && !v.substring(0, colon).contains(",")) {
                String agent = v.substring(0, colon).strip();
                // "unavailable_after: <date>" is a directive with a value, not an agent
                if (!agent.equals("unavailable_after") && !agent.equals("max-image-preview") && !agent.equals("max-snippet")
                        && !agent.equals("max-video-preview")) {
                    if (!agent.equals(ROBOTS_TOKEN)) {
                        continue;
                    }
                    v = v.substring(colon + 1);
                }
            }
            for (String d : v.split(",")) {
                if (!d.isBlank()) {
                    out.add(d.strip());
                }
            }
        }
        return out;
    }

    static Duration retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.strip())));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return d.isNegative() ? Duration.ZERO : d;
            } catch (RuntimeException unparseable) {
                return null;
            }
        }
    }

    private static boolean sleep(Duration d, Runnable tick) {
        long end = System.nanoTime() + d.toNanos();
        try {
            for (long left = d.toMillis(); left > 0; left = (end - System.nanoTime()) / 1_000_000) {
                Thread.sleep(Math.min(left, 1000));
                tick.run();
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String hostPort(URI uri) {
        int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        return String.valueOf(uri.getHost()).toLowerCase(Locale.ROOT) + ":" + port;
    }

    private static final class TooLarge extends IOException {
        TooLarge() {
            super("body over the byte limit");
        }
    }
}
