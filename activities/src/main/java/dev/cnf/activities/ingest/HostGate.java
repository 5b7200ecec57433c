package dev.cnf.activities.ingest;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Per host:port politeness inside one worker: at most {@code concurrency} requests in flight and
 * request starts at least {@code interval} (or the host's Crawl-delay) apart. Across workers the dataset workflow lets
 * one worker at a time fetch a host ({@link HostLanes}); {@link #seed} carries the pacing over from the worker before.
 */
final class HostGate {
    private final class Host {
        final Semaphore slots = new Semaphore(concurrency, true);
        long nextStartNanos;
        Duration crawlDelay = Duration.ZERO;
        /** The latest request start to the host known here, this worker's or a previous worker's (epoch millis; 0: none). */
        long lastStartEpochMillis;
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
            long wallNow = System.currentTimeMillis();
            long afterLast = h.lastStartEpochMillis == 0 ? now : now + (h.lastStartEpochMillis - wallNow) * 1_000_000L + gap;
            long start = Math.max(now, Math.max(h.nextStartNanos, afterLast));
            h.nextStartNanos = start + gap;
            h.lastStartEpochMillis = wallNow + (start - now) / 1_000_000L;
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

    /** Another worker's last request starts (epoch millis): the next starts here keep the gap from them. */
    void seed(Map<String, Long> lastStartEpochMillis) {
        lastStartEpochMillis.forEach((hostPort, last) -> {
            Host h = hosts.computeIfAbsent(hostPort, k -> new Host());
            synchronized (h) {
                h.lastStartEpochMillis = Math.max(h.lastStartEpochMillis, last);
            }
        });
    }

    /** When a request to each of these hosts last started here (epoch millis), for the next worker; unknown hosts left out. */
    Map<String, Long> lastStarts(Set<String> hostPorts) {
        Map<String, Long> out = new TreeMap<>();
        for (String hostPort : hostPorts) {
            Host h = hosts.get(hostPort);
            if (h != null) {
                synchronized (h) {
                    if (h.lastStartEpochMillis > 0) {
                        out.put(hostPort, h.lastStartEpochMillis);
                    }
                }
            }
        }
        return out;
    }

    void release(String hostPort) {
        Host h = hosts.get(hostPort);
        if (h != null) {
            h.slots.release();
        }
    }
}
