package dev.cnf.workers;

import dev.cnf.workflows.pipeline.DatasetWorkflowImpl;
import dev.cnf.workflows.pipeline.PipelineWorkflowImpl;
import dev.cnf.workflows.pipeline.ShardWorkflowImpl;
import dev.cnf.workflows.pipeline.StageWorkflows;
import dev.cnf.workflows.pipeline.TrainingWorkflowImpl;
import io.temporal.testing.WorkflowReplayer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Replays histories recorded from real runs (a whole chain; a run paused, updated and resumed; a
 * cancelled run, all from before sharded ingestion; a whole chain with sharded ingestion; one with
 * the validation activity too; one with the shards in a child workflow, and that child's last run; runs with
 * every stage in a child workflow, and their children) against
 * today's workflow code: a change that would break running workflows fails here. Re-record with {@code mvn -pl workers test -Dtest=PipelineWorkflowTest
 * -Dcnf.recordHistories=$PWD/workers/src/test/resources/histories} only for changes guarded by
 * {@code Workflow.getVersion}.
 */
class WorkflowReplayTest {
    /**
     * Histories and how many Workflow.getVersion markers each recorded (0: before sharded ingestion; 2: validation
     * too; 3: the shards in a child workflow; 4: every stage in a child workflow; a dataset child's 1: a child workflow per
     * shard). A name with a stage suffix is that
     * child's history (for a child that continued as new, its last run), replayed under the id it ran with.
     */
    static final Map<String, Integer> HISTORIES = new LinkedHashMap<>();

    static {
        HISTORIES.putAll(Map.of("wf-chain", 0, "wf-pause", 0, "wf-cancel", 0, "wf-chain-sharded", 1, "wf-chain-validated", 2,
                "wf-child", 3, "wf-child-dataset", 0));
        // stage children: a whole chain with evaluation during training; a training paused, updated and resumed; one cancelled
        HISTORIES.putAll(Map.of("wf-eval-every", 4, "wf-eval-every-dataset", 1, "wf-eval-every-dataset-shard-00000", 0,
                "wf-eval-every-caption", 0, "wf-eval-every-condition", 0, "wf-eval-every-train", 0, "wf-eval-every-evaluate", 0,
                "wf-eval-every-publish", 0));
        HISTORIES.putAll(Map.of("wf-train-pause", 4, "wf-train-pause-train", 0, "wf-train-cancel", 4, "wf-train-cancel-train", 0));
    }

    /** The workflow implementation of each child, by the suffix its id has after the parent's. */
    static final Map<String, Class<?>> CHILDREN = Map.of("dataset", DatasetWorkflowImpl.class,
            "caption", StageWorkflows.CaptionWorkflowImpl.class, "condition", StageWorkflows.ConditionWorkflowImpl.class,
            "train", TrainingWorkflowImpl.class, "evaluate", StageWorkflows.EvaluationWorkflowImpl.class,
            "publish", StageWorkflows.PublishWorkflowImpl.class, "shard", ShardWorkflowImpl.class);

    @Test
    void recordedHistoriesReplayDeterministically() throws Exception {
        for (var h : HISTORIES.entrySet()) {
            String name = h.getKey();
            String json = resource("/histories/" + name + ".json");
            // runs recorded before a change have no marker for it and replay its DEFAULT branch
            assertEquals(h.getValue(), json.split("\"markerName\": \"Version\"", -1).length - 1,
                    name + ": which branches of Workflow.getVersion it covers");
            boolean shard = name.matches(".*-dataset-shard-\\d{5}");
            String suffix = shard ? "shard" : name.substring(name.lastIndexOf('-') + 1);
            Class<?> child = CHILDREN.get(suffix);
            // a child's id derives from its parent's, and child-id matching needs the id it ran with
            String workflowId = shard ? name.replace("-dataset-shard-", "/dataset/shard-")
                    : child == null ? name : name.substring(0, name.length() - suffix.length() - 1) + "/" + suffix;
            WorkflowReplayer.replayWorkflowExecution(io.temporal.common.WorkflowExecutionHistory.fromJson(json, workflowId),
                    child == null ? PipelineWorkflowImpl.class : child);
        }
    }

    static String resource(String path) throws IOException {
        try (InputStream in = WorkflowReplayTest.class.getResourceAsStream(path)) {
            assertNotNull(in, "missing recorded history " + path);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
