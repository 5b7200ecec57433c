package dev.cnf.workflows.pipeline;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One ingestion shard as a child workflow of {@link DatasetWorkflow} ({@code <run id>/dataset/shard-NNNNN}): fetch its
 * references, then clean what was fetched, each an activity on any {@code cnf-cpu} worker. Its results are stored by the
 * activities (a retried or re-run shard returns them without refetching); it answers only the counts the parent reports.
 */
@WorkflowInterface
public interface ShardWorkflow {
    /** Shard {@code shard} of the references discovery wrote under the run prefix. */
    record Input(String runPrefix, int shard, DatasetWorkflow.CleanSettings clean) {}

    @WorkflowMethod
    DatasetWorkflow.Progress run(Input input);

    /** Zero-padded so that the Temporal UI lists a run's shards in order. */
    static String workflowId(String datasetWorkflowId, int shard) {
        return String.format("%s/shard-%05d", datasetWorkflowId, shard);
    }
}
