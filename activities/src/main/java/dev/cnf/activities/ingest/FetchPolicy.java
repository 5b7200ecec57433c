package dev.cnf.activities.ingest;

import java.time.Duration;
import java.util.Set;

/**
 * How politely and how defensively a worker fetches. Per-host limits hold per worker process:
 * N workers may reach a host N times as often.
 *
 * @param maxRedirects        hops followed, each checked against the address policy and robots.txt
 * @param maxBytes            body bytes read before the item is dropped (TOO_LARGE_BYTES)
 * @param connectTimeout      TCP + TLS connect
 * @param readTimeout         longest silence while waiting for headers or body bytes
 * @param totalTimeout        deadline for one attempt, however slowly the bytes trickle
 * @param maxRetries          further attempts after a 429, 5xx, timeout or network error
 * @param backoff             first retry delay; doubles per attempt unless the server sent Retry-After
 * @param maxRetryAfter       a longer Retry-After is not waited for: the item is dropped instead
 * @param perHostConcurrency  requests in flight to one host:port
 * @param perHostInterval     least time between request starts to one host:port (robots.txt Crawl-delay may raise it)
 * @param obeyRobots          read and obey robots.txt for {@link HttpFetcher#ROBOTS_TOKEN}
 * @param optOutDirectives    X-Robots-Tag / meta robots directives that exclude an image (empty: honour none)
 */
public record FetchPolicy(int maxRedirects, long maxBytes, Duration connectTimeout, Duration readTimeout, Duration totalTimeout,
                          int maxRetries, Duration backoff, Duration maxRetryAfter, int perHostConcurrency, Duration perHostInterval,
                          boolean obeyRobots, Set<String> optOutDirectives) {

    public static final Set<String> DEFAULT_OPT_OUTS = Set.of("noai", "noimageai", "noindex", "noimageindex", "none");
    /** Crawl-delay values above this are capped: a host cannot stall a shard for minutes per request. */
    public static final Duration MAX_CRAWL_DELAY = Duration.ofSeconds(10);

    public FetchPolicy {
        if (maxRedirects < 0 || maxBytes <= 0 || maxRetries < 0 || perHostConcurrency < 1) {
            throw new IllegalArgumentException("fetch policy: redirects and retries must be >= 0, max bytes and per-host concurrency >= 1");
        }
        optOutDirectives = Set.copyOf(optOutDirectives);
    }

    public static FetchPolicy defaults() {
        return new FetchPolicy(5, 20L << 20, Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(60),
                2, Duration.ofMillis(500), Duration.ofSeconds(30), 4, Duration.ZERO, true, DEFAULT_OPT_OUTS);
    }

    public FetchPolicy withTimeouts(Duration connect, Duration read, Duration total) {
        return new FetchPolicy(maxRedirects, maxBytes, connect, read, total, maxRetries, backoff, maxRetryAfter, perHostConcurrency,
                perHostInterval, obeyRobots, optOutDirectives);
    }

    public FetchPolicy withMaxRedirects(int redirects) {
        return new FetchPolicy(redirects, maxBytes, connectTimeout, readTimeout, totalTimeout, maxRetries, backoff, maxRetryAfter,
                perHostConcurrency, perHostInterval, obeyRobots, optOutDirectives);
    }

    public FetchPolicy withMaxBytes(long bytes) {
        return new FetchPolicy(maxRedirects, bytes, connectTimeout, readTimeout, totalTimeout, maxRetries, backoff, maxRetryAfter,
                perHostConcurrency, perHostInterval, obeyRobots, optOutDirectives);
    }

    public FetchPolicy withHostLimits(int concurrency, Duration interval) {
        return new FetchPolicy(maxRedirects, maxBytes, connectTimeout, readTimeout, totalTimeout, maxRetries, backoff, maxRetryAfter,
                concurrency, interval, obeyRobots, optOutDirectives);
    }

    public FetchPolicy withRetries(int retries, Duration firstBackoff, Duration longestRetryAfter) {
        return new FetchPolicy(maxRedirects, maxBytes, connectTimeout, readTimeout, totalTimeout, retries, firstBackoff, longestRetryAfter,
                perHostConcurrency, perHostInterval, obeyRobots, optOutDirectives);
    }

    public FetchPolicy withRobots(boolean obey, Set<String> optOuts) {
        return new FetchPolicy(maxRedirects, maxBytes, connectTimeout, readTimeout, totalTimeout, maxRetries, backoff, maxRetryAfter,
                perHostConcurrency, perHostInterval, obey, optOuts);
    }
}
