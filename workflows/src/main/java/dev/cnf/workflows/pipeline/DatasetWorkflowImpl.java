package dev.cnf.workflows.pipeline;

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

    private final RunControl control = new RunControl();
    private Progress unreported = Progress.NONE;

    @Override
    public Result run(Input in) {
        if (in.paused()) {
            control.pause();
        }
        PipelineWorkflow parent = Workflow.newExternalWorkflowStub(PipelineWorkflow.class, in.parentWorkflowId());
        int total = in.shards();
        int reportEvery = Math.max(1, total / SIGNALS_PER_CRAWL);
        int end = Math.min(total, in.next() + in.shard().data().shardsPerRun());
        List<Promise<Void>> started = new ArrayList<>();
        List<Promise<Void>> inFlight = new ArrayList<>();
        for (int i = in.next(); i < end; i++) {
            while (inFlight.size() >= in.shard().data().parallelShards()) {
                Promise.anyOf(inFlight).get();
                inFlight.removeIf(Promise::isCompleted);
            }
            control.awaitResumed();
            ShardWorkflow.Input shard = in.shard().number(i);
            Promise<Void> p = Async.procedure(() -> {
                Progress done = Workflow.newChildWorkflowStub(ShardWorkflow.class, ChildWorkflowOptions.newBuilder()
                        .setWorkflowId(ShardWorkflow.workflowId(Workflow.getInfo().getWorkflowId(), shard.shard()))
                        .setTaskQueue(TaskQueues.CPU)
                        .build()).run(shard);
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
            Workflow.continueAsNew(in.continuedAt(end, control.paused()));
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
        control.pause();
    }

    @Override
    public void resume() {
        control.resume();
    }
}
