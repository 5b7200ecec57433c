package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.TrainActivities;

import java.util.List;

/**
 * What the {@code status} query answers.
 *
 * @param stage          the stage running now, or "paused", "done", "failed", "cancelled"
 * @param completed      one line per finished stage, e.g. "clean: kept 40 of 46 (DUPLICATE=2, TOO_SMALL=4)"
 * @param paused         a pause is in force (the run waits for resume)
 * @param cancelReason   the operator's reason once cancel was asked, else null
 * @param training       the latest training progress the train activity reported (null before training)
 * @param trainSteps     the training steps in force (updatable)
 * @param probeEvery     the probe interval in force (updatable)
 * @param dataset        ingestion and cleaning progress, shard by shard (null before discovery)
 * @param evalEvery      the steps between evaluations during training in force (updatable; 0: none)
 */
public record PipelineStatus(String workflowId, String version, String stage, List<String> completed,
                             String reportUri, String modelUri, String error, boolean paused, String cancelReason,
                             TrainActivities.Progress training, int trainSteps, int probeEvery, DatasetProgress dataset,
                             Integer evalEvery) {

    /**
     * Counts over the shards finished so far. {@code seen} counts references in fetched shards plus those dropped at
     * discovery; {@code candidates} passed cleaning in cleaned shards (duplicates across shards are removed after).
     */
    public record DatasetProgress(int shards, int shardsFetched, int shardsCleaned, int refs, int seen, int fetched,
                                  int candidates, int dropped, long bytes) {}
}
