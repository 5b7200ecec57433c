package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.IngestActivities;
import io.temporal.workflow.WorkflowInterface;

import java.util.List;
import io.temporal.workflow.WorkflowMethod;


/**
 * The dataset stage's fan-out as a child workflow of {@link PipelineWorkflow}: every shard is a {@link ShardWorkflow}
 * child that fetches and cleans it with its own activities, at most {@code parallelShards} at a time and at most one
 * per host lane (a web host is in one lane only, so its politeness limits hold for the whole run). Each run starts at most
 * {@code shardsPerRun} shards and then continues as new, carrying only where it stopped: the shards'
 * results stay in object storage, where the dedupe activity reads them. The parent hears of progress
 * in batches (about fifty signals per crawl, plus one per run), so neither history grows with the crawl.
 */
@WorkflowInterface
public interface DatasetWorkflow extends PausableChild {
    /**
     * @param parentWorkflowId receives {@link PipelineWorkflow#datasetProgress} signals
     * @param shardsPerLane    discovery's shards of each host lane, lane by lane (lane 0's shards numbered first)
     * @param donePerLane      the shards of each lane that earlier runs started (carried across continue-as-new)
     * @param shard            what every shard's fetch and clean take; its number and lane are each shard's own
     * @param paused           the parent was paused when the previous run continued as new
     */
    record Input(String parentWorkflowId, List<Integer> shardsPerLane, List<Integer> donePerLane, ShardWorkflow.Input shard,
                 boolean paused) {
        Input continuedAt(List<Integer> donePerLaneNow, boolean pausedNow) {
            return new Input(parentWorkflowId, shardsPerLane, donePerLaneNow, shard, pausedNow);
        }

        int shards() {
            return shardsPerLane.stream().mapToInt(Integer::intValue).sum();
        }
    }

    /** Counts since the previous signal: the parent adds them to its status query's dataset progress. */
    record Progress(int shards, int seen, int fetched, int candidates, int dropped, long bytes) {
        static final Progress NONE = new Progress(0, 0, 0, 0, 0, 0);

        /** How many drops a drop-reason map holds. */
        static int count(java.util.Map<String, Integer> dropsByReason) {
            return dropsByReason.values().stream().mapToInt(Integer::intValue).sum();
        }

        Progress add(Progress o) {
            return new Progress(shards + o.shards, seen + o.seen, fetched + o.fetched, candidates + o.candidates, dropped + o.dropped,
                    bytes + o.bytes);
        }

        Progress plus(IngestActivities.ShardResult f, CleanActivities.ShardResult c) {
            int droppedNow = count(f.dropped()) + count(c.dropped());
            return new Progress(shards + 1, seen + f.seen(), fetched + f.fetched(), candidates + c.candidates(), dropped + droppedNow,
                    bytes + f.bytes());
        }
    }

    /** @param shards how many shards ran, over all runs */
    record Result(int shards) {}

    @WorkflowMethod
    Result run(Input input);
}
