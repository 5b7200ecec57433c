package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.IngestActivities;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

import java.util.List;

/**
 * The dataset stage's fan-out as a child workflow of {@link PipelineWorkflow}: every shard is fetched and
 * cleaned by its own activities, at most {@code parallelShards} at a time. Each run starts at most
 * {@code shardsPerRun} shards and then continues as new, so no history grows with the size of the
 * crawl; the parent's history grows by one signal per shard (its progress), not by the activities.
 */
@WorkflowInterface
public interface DatasetWorkflow {
    /**
     * @param parentWorkflowId receives {@link PipelineWorkflow#shardDone} after each shard
     * @param refsKeys         every shard's reference list, in shard order
     * @param next             the first shard this run starts (carried across continue-as-new)
     * @param shardsPerRun     shards a run starts before it continues as new
     * @param paused           the parent was paused when the previous run continued as new
     * @param done             outcomes of the shards earlier runs finished, in shard order
     */
    record Input(String runPrefix, String parentWorkflowId, List<String> refsKeys, int next, int parallelShards, int shardsPerRun,
                 CleanSettings clean, boolean paused, List<ShardOutcome> done) {}

    /** What every shard's clean activity needs besides its items (see {@link CleanActivities.ShardRequest}). */
    record CleanSettings(int minSide, int resolution, double maxAspectRatio, long maxPixels, String skipTrainedBy, String condition,
                         Long seed, String annotatorModel) {}

    record ShardOutcome(IngestActivities.ShardResult fetched, CleanActivities.ShardResult cleaned) {}

    /** Every shard's outcome, in shard order. */
    record Result(List<ShardOutcome> shards) {}

    @WorkflowMethod
    Result run(Input input);

    /** Starts no new shard until {@link #resume}; shards in flight finish. */
    @SignalMethod
    void pause();

    @SignalMethod
    void resume();
}
