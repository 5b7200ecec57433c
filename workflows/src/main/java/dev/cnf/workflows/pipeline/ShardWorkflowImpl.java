package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.IngestActivities;

/** Deterministic: the shard's I/O is in the ingest and clean activities. */
public class ShardWorkflowImpl implements ShardWorkflow {
    private final IngestActivities ingest = StageActivities.ingest();
    private final CleanActivities clean = StageActivities.clean();

    @Override
    public DatasetWorkflow.Progress run(Input in) {
        return DatasetWorkflowImpl.fetchAndClean(ingest, clean, in);
    }
}
