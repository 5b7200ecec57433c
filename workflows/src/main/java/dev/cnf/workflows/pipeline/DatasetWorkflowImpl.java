package dev.cnf.workflows.pipeline;

import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
        List<Integer> perLane = in.shardsPerLane();
        List<Integer> done = new ArrayList<>(in.donePerLane());
        int[] firstOfLane = new int[perLane.size()];
        for (int l = 1; l < perLane.size(); l++) {
            firstOfLane[l] = firstOfLane[l - 1] + perLane.get(l - 1);
        }
        List<Promise<Void>> started = new ArrayList<>();
        Map<Integer, Promise<Void>> inFlight = new HashMap<>(); // by lane: one shard per lane at a time
        int lane = -1;
        while (started.size() < in.shard().data().shardsPerRun()) {
            lane = nextLane(perLane, done, inFlight, lane);
            if (lane < 0) {
                if (inFlight.isEmpty()) {
                    break; // every lane's shards have started
                }
                Promise.anyOf(inFlight.values()).get(); // a lane, or a slot, frees up
                inFlight.values().removeIf(Promise::isCompleted);
                continue;
            }
            if (inFlight.size() >= in.shard().data().parallelShards()) {
                Promise.anyOf(inFlight.values()).get();
                inFlight.values().removeIf(Promise::isCompleted);
                lane--; // try this lane again
                continue;
            }
            control.awaitResumed();
            ShardWorkflow.Input shard = in.shard().at(lane, firstOfLane[lane] + done.get(lane));
            done.set(lane, done.get(lane) + 1);
            Promise<Void> p = Async.procedure(() -> {
                Progress finished = Workflow.newChildWorkflowStub(ShardWorkflow.class, ChildWorkflowOptions.newBuilder()
                        .setWorkflowId(ShardWorkflow.workflowId(Workflow.getInfo().getWorkflowId(), shard.shard()))
                        .setTaskQueue(StageActivities.cpuQueue())
                        .build()).run(shard);
                unreported = unreported.add(finished);
                if (unreported.shards() >= reportEvery) {
                    report(parent);
                }
            });
            started.add(p);
            inFlight.put(lane, p);
        }
        Promise.allOf(started).get();
        report(parent); // what is left, before this run ends
        if (done.stream().mapToInt(Integer::intValue).sum() < total) {
            // This run's history is as long as it should get; the next run starts where it stopped.
            Workflow.continueAsNew(in.continuedAt(done, control.paused()));
        }
        return new Result(total);
    }

    /** The next lane after {@code previous} (round robin) with a shard left and none in flight; -1 if there is none now. */
    private static int nextLane(List<Integer> perLane, List<Integer> done, Map<Integer, Promise<Void>> inFlight, int previous) {
        int lanes = perLane.size();
        for (int k = 1; k <= lanes; k++) {
            int l = Math.floorMod(previous + k, lanes);
            if (done.get(l) < perLane.get(l) && !inFlight.containsKey(l)) {
                return l;
            }
        }
        return -1;
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
