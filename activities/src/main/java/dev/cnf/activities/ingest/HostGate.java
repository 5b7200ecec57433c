package dev.cnf.activities.ingest;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Per host:port politeness inside one worker: at most {@code concurrency} requests in flight and
 * request starts at least {@code interval} (or the host's Crawl-delay) apart.
 */
final class HostGate {
    private final class Host {
        final Semaphore slots = new Semaphore(concurrency, true);
        long nextStartNanos;
        Duration crawlDelay = Duration.ZERO;
    }

    private final int concurrency;
    private final Duration interval;
    private final ConcurrentHashMap<String, Host> hosts = new ConcurrentHashMap<>();

    HostGate(int concurrency, Duration interval) {
        this.concurrency = concurrency;
        this.interval = interval;
    }

    void setCrawlDelay(String hostPort, Duration delay) {
        Duration capped = delay.compareTo(FetchPolicy.MAX_CRAWL_DELAY) > 0 ? FetchPolicy.MAX_CRAWL_DELAY : delay;
        Host h = hosts.computeIfAbsent(hostPort, k -> new Host());
        synchronized (h) {
            h.crawlDelay = capped;
        }
    }

    /** Blocks until this worker may start a request to the host; pair with {@link #release}. */
    void acquire(String hostPort) throws InterruptedException {
        Host h = hosts.computeIfAbsent(hostPort, k -> new Host());
        h.slots.acquire();
        long waitNanos;
        synchronized (h) {
            long gap = Math.max(interval.toNanos(), h.crawlDelay.toNanos());
            long now = System.nanoTime();
            long start = Math.max(now, h.nextStartNanos);
            h.nextStartNanos = start + gap;
            waitNanos = start - now;
        }
        if (waitNanos > 0) {
            try {
                Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
            } catch (InterruptedException e) {
                h.slots.release();
                throw e;
            }
        }
    }

    void release(String hostPort) {
        Host h = hosts.get(hostPort);
        if (h != null) {
            h.slots.release();
        }
    }
}
