package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.IngestActivities;
import io.temporal.workflow.Async;
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

    @Override
    public Result run(Input in) {
        paused = paused || in.paused();
        PipelineWorkflow parent = Workflow.newExternalWorkflowStub(PipelineWorkflow.class, in.parentWorkflowId());
        int total = in.refsKeys().size();
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
            int shard = i;
            String refsKey = in.refsKeys().get(i);
            CleanSettings c = in.clean();
            Promise<Void> p = Async.procedure(() -> {
                IngestActivities.ShardResult f = ingest.fetchShard(new IngestActivities.FetchShardRequest(in.runPrefix(), shard, refsKey));
                CleanActivities.ShardResult cl = clean.cleanShard(new CleanActivities.ShardRequest(in.runPrefix(), shard, f.itemsKey(),
                        c.minSide(), c.resolution(), c.maxAspectRatio(), c.maxPixels(), c.skipTrainedBy(), c.condition(), c.seed(),
                        c.annotatorModel()));
                unreported = unreported.plus(f, cl);
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
                    in.shardsPerRun(), in.clean(), paused));
        }
        return new Result(total);
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
