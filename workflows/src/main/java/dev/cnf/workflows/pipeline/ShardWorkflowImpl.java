package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.pipeline.DatasetWorkflow.Progress;
import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.IngestActivities;

/** One shard: fetch its references, clean what was fetched; the counts for the parent's progress. Its I/O is in the activities. */
public class ShardWorkflowImpl implements ShardWorkflow {
    private final IngestActivities ingest = StageActivities.ingest();
    private final CleanActivities clean = StageActivities.clean();

    @Override
    public Progress run(Input in) {
        IngestActivities.ShardResult f = ingest.fetchShard(new IngestActivities.FetchShardRequest(in.run(), in.shard(), in.lane()));
        CleanActivities.ShardResult cl = clean.cleanShard(new CleanActivities.ShardRequest(in.run(), in.shard(), f.itemsKey(),
                in.data(), in.model(), in.conditioning()));
        return Progress.NONE.plus(f, cl);
    }
}
