package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.IngestActivities;
import dev.cnf.workflows.TaskQueues;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;

import java.util.ArrayList;
import java.util.List;

/** Deterministic orchestration of the shards; the I/O is in the ingest and clean activities. */
public class DatasetWorkflowImpl implements DatasetWorkflow {
    /** Progress signals per crawl, about: the parent's history grows by these, not by the shards. */
    static final int SIGNALS_PER_CRAWL = 50;

    private final IngestActivities ingest = StageActivities.ingest();
    private final CleanActivities clean = StageActivities.clean();
    private boolean paused;
    private Progress unreported = Progress.NONE;

    /** Change id of one child workflow per shard (version 1); DEFAULT runs each shard's two activities here. */
    static final String SHARD_CHILDREN = "shard-child-workflows";

    @Override
    public Result run(Input in) {
        // Runs recorded before the shard children schedule the shards' activities themselves.
        boolean shardChildren = Workflow.getVersion(SHARD_CHILDREN, Workflow.DEFAULT_VERSION, 1) == 1;
        paused = paused || in.paused();
        PipelineWorkflow parent = Workflow.newExternalWorkflowStub(PipelineWorkflow.class, in.parentWorkflowId());
        int total = in.total();
        int reportEvery = Math.max(1, total / SIGNALS_PER_CRAWL);
        int end = Math.min(total, in.next() + in.shardsPerRun());
        List<Promise<Void>> started = new ArrayList<>();
        List<Promise<Void>> inFlight = new ArrayList<>();
        for (int i = in.next(); i < end; i++) {
            while (inFlight.size() >= in.parallelShards()) {
                Promise.anyOf(inFlight).get();
                inFlight.removeIf(Promise::isCompleted);
            }
            Workflow.await(() -> !paused);
            ShardWorkflow.Input shard = new ShardWorkflow.Input(in.runPrefix(), i, in.refsKey(i), in.clean());
            Promise<Void> p = Async.procedure(() -> {
                Progress done = shardChildren ? Workflow.newChildWorkflowStub(ShardWorkflow.class, ChildWorkflowOptions.newBuilder()
                        .setWorkflowId(ShardWorkflow.workflowId(Workflow.getInfo().getWorkflowId(), shard.shard()))
                        .setTaskQueue(TaskQueues.CPU)
                        .build()).run(shard) : fetchAndClean(ingest, clean, shard);
                unreported = unreported.add(done);
                if (unreported.shards() >= reportEvery) {
                    report(parent);
                }
            });
            started.add(p);
            inFlight.add(p);
        }
        Promise.allOf(started).get();
        report(parent); // what is left, before this run ends
        if (end < total) {
            // This run's history is as long as it should get; the next run starts where it stopped.
            Workflow.continueAsNew(new Input(in.runPrefix(), in.parentWorkflowId(), in.refsKeys(), end, in.parallelShards(),
                    in.shardsPerRun(), in.clean(), paused, in.shards()));
        }
        return new Result(total);
    }

    /** One shard: fetch its references, clean what was fetched; the counts for the parent's progress. */
    static Progress fetchAndClean(IngestActivities ingest, CleanActivities clean, ShardWorkflow.Input in) {
        CleanSettings c = in.clean();
        IngestActivities.ShardResult f = ingest.fetchShard(new IngestActivities.FetchShardRequest(in.runPrefix(), in.shard(), in.refsKey()));
        CleanActivities.ShardResult cl = clean.cleanShard(new CleanActivities.ShardRequest(in.runPrefix(), in.shard(), f.itemsKey(),
                c.minSide(), c.resolution(), c.maxAspectRatio(), c.maxPixels(), c.skipTrainedBy(), c.condition(), c.seed(),
                c.annotatorModel()));
        return Progress.NONE.plus(f, cl);
    }

    private void report(PipelineWorkflow parent) {
        if (unreported.shards() > 0) {
            Progress sent = unreported;
            unreported = Progress.NONE;
            parent.datasetProgress(sent);
        }
    }

    @Override
    public void pause() {
        paused = true;
    }

    @Override
    public void resume() {
        paused = false;
    }
}
