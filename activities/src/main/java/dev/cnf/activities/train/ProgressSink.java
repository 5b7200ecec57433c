package dev.cnf.activities.train;

import dev.cnf.workflows.stages.TrainActivities;

/** Where the train activity reports progress beyond its heartbeat: the running workflow (a signal), or nowhere. */
@FunctionalInterface
public interface ProgressSink {
    ProgressSink NONE = (workflowId, runId, progress) -> { };

    /** Must not throw: progress reporting never stops training. */
    void report(String workflowId, String runId, TrainActivities.Progress progress);
}
