package dev.cnf.workers;

import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.temporal.common.reporter.MicrometerClientStatsReporter;

/**
 * One Prometheus registry per worker process: Temporal SDK metrics (polls, task latencies, failures)
 * and ours, which activities report through Temporal's metrics scope (training loss, steps/s,
 * checkpoint age, images/s), all served at the worker's {@code /metrics}.
 */
public final class WorkerMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Scope scope = new RootScopeBuilder()
            .reporter(new MicrometerClientStatsReporter(registry))
            .reportEvery(com.uber.m3.util.Duration.ofSeconds(1));

    /** Give this to {@code WorkflowServiceStubsOptions.setMetricsScope}: workers and activities report through it. */
    public Scope scope() {
        return scope;
    }

    /** Prometheus text exposition of everything reported so far. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        try {
            scope.close();
        } catch (com.uber.m3.tally.ScopeCloseException e) {
            // the last report is lost; nothing else depends on it
        }
        registry.close();
    }
}
