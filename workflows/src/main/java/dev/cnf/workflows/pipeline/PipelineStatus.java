package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.TrainActivities;

import java.util.List;

/**
 * What the {@code status} query answers.
 *
 * @param state          the stage running now (or done, failed, cancelled), whether a pause holds it, the training step
 * @param summary        the state for people, e.g. "paused (train at step 40)"
 * @param completed      one line per finished stage, e.g. "clean: kept 40 of 46 (DUPLICATE=2, TOO_SMALL=4)"
 * @param paused         a pause is in force (the run waits for resume)
 * @param cancelReason   the operator's reason once cancel was asked, else null
 * @param training       the latest training progress the train activity reported (null before training)
 * @param schedule       the training steps, probe interval and evaluation interval in force (updatable)
 * @param dataset        ingestion and cleaning progress, shard by shard (null before discovery)
 */
public record PipelineStatus(String workflowId, String version, StageState state, String summary, List<String> completed,
                             String reportUri, String modelUri, String error, boolean paused, String cancelReason,
                             TrainActivities.Progress training, TrainingControl schedule, DatasetProgress dataset) {

    /**
     * Counts over the shards finished so far. {@code seen} counts references in fetched shards plus those dropped at
     * discovery; {@code candidates} passed cleaning in cleaned shards (duplicates across shards are removed after).
     */
    public record DatasetProgress(int shards, int shardsFetched, int shardsCleaned, int refs, int seen, int fetched,
                                  int candidates, int dropped, long bytes) {
        static DatasetProgress discovered(int shards, int refs, int dropped) {
            return new DatasetProgress(shards, 0, 0, refs, dropped, 0, 0, dropped, 0);
        }

        DatasetProgress plus(DatasetWorkflow.Progress p) {
            return new DatasetProgress(shards, shardsFetched + p.shards(), shardsCleaned + p.shards(), refs, seen + p.seen(),
                    fetched + p.fetched(), candidates + p.candidates(), dropped + p.dropped(), bytes + p.bytes());
        }
    }
}
