package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.spec.ConditionSpec;
import dev.cnf.workflows.spec.DataSpec;
import dev.cnf.workflows.spec.ModelSpec;
import dev.cnf.workflows.spec.RunContext;
import dev.cnf.workflows.stages.CleanActivities;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One ingestion shard as a child workflow of {@link DatasetWorkflow} ({@code <run id>/dataset/shard-NNNNN}): fetch its
 * references, then clean what was fetched, each an activity on any {@code cnf-cpu} worker. Its results are stored by the
 * activities (a retried or re-run shard returns them without refetching); it answers only the counts the parent reports.
 */
@WorkflowInterface
public interface ShardWorkflow {
    /**
     * Shard {@code shard} of the references discovery wrote under the run prefix, in host lane {@code lane}.
     *
     * @param data         the limits every image is checked against ({@link CleanActivities.ShardRequest})
     * @param model        images are normalised to its resolution
     * @param conditioning extracted from each kept image while it is decoded
     */
    record Input(RunContext run, int shard, int lane, DataSpec data, ModelSpec model, ConditionSpec conditioning) {
        Input at(int laneNumber, int shardNumber) {
            return new Input(run, shardNumber, laneNumber, data, model, conditioning);
        }
    }

    @WorkflowMethod
    DatasetWorkflow.Progress run(Input input);

    /** Zero-padded so that the Temporal UI lists a run's shards in order. */
    static String workflowId(String datasetWorkflowId, int shard) {
        return String.format("%s/shard-%05d", datasetWorkflowId, shard);
    }
}
