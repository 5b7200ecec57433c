package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.pipeline.DatasetWorkflow.CleanSettings;
import dev.cnf.workflows.pipeline.DatasetWorkflow.Progress;
import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.IngestActivities;

/** One shard: fetch its references, clean what was fetched; the counts for the parent's progress. Its I/O is in the activities. */
public class ShardWorkflowImpl implements ShardWorkflow {
    private final IngestActivities ingest = StageActivities.ingest();
    private final CleanActivities clean = StageActivities.clean();

    @Override
    public Progress run(Input in) {
        CleanSettings c = in.clean();
        IngestActivities.ShardResult f = ingest.fetchShard(new IngestActivities.FetchShardRequest(in.runPrefix(), in.shard()));
        CleanActivities.ShardResult cl = clean.cleanShard(new CleanActivities.ShardRequest(in.runPrefix(), in.shard(), f.itemsKey(),
                c.minSide(), c.resolution(), c.maxAspectRatio(), c.maxPixels(), c.skipTrainedBy(), c.condition(), c.seed(),
                c.annotatorModel()));
        return Progress.NONE.plus(f, cl);
    }
}
