package dev.cnf.activities;

import com.uber.m3.tally.Scope;
import io.temporal.activity.Activity;

/**
 * Our stage metrics, reported through the activity's Temporal metrics scope so that they reach the
 * worker's Prometheus registry with Temporal's tags (namespace, task queue, activity type).
 */
public final class StageMetrics {
    private StageMetrics() {}

    public static Scope scope() {
        return Activity.getExecutionContext().getMetricsScope();
    }

    /** Items handled by a stage and its throughput over {@code startedNanos}..now. */
    public static void throughput(String stage, int items, long startedNanos) {
        Scope s = scope();
        s.counter("cnf_" + stage + "_images").inc(items);
        double seconds = Math.max((System.nanoTime() - startedNanos) / 1e9, 1e-9);
        s.gauge("cnf_" + stage + "_images_per_second").update(items / seconds);
    }
}
