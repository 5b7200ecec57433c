package dev.cnf.workers;

import dev.cnf.workflows.pipeline.DatasetWorkflowImpl;
import dev.cnf.workflows.pipeline.PipelineWorkflowImpl;
import io.temporal.testing.WorkflowReplayer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Replays histories recorded from real runs (a whole chain; a run paused, updated and resumed; a
 * cancelled run, all from before sharded ingestion; a whole chain with sharded ingestion; one with
 * the validation activity too; one with the shards in a child workflow, and that child's last run) against
 * today's workflow code: a change that would break running workflows fails here. Re-record with {@code mvn -pl workers test -Dtest=PipelineWorkflowTest
 * -Dcnf.recordHistories=$PWD/workers/src/test/resources/histories} only for changes guarded by
 * {@code Workflow.getVersion}.
 */
class WorkflowReplayTest {
    /**
     * Histories and how many Workflow.getVersion markers each recorded (0: before sharded ingestion; 2: validation
     * too; 3: the shards in a child workflow, whose own history is wf-child-dataset).
     */
    static final java.util.Map<String, Integer> HISTORIES = new java.util.LinkedHashMap<>(java.util.Map.of(
            "wf-chain", 0, "wf-pause", 0, "wf-cancel", 0, "wf-chain-sharded", 1, "wf-chain-validated", 2, "wf-child", 3,
            "wf-child-dataset", 0));

    @Test
    void recordedHistoriesReplayDeterministically() throws Exception {
        for (var h : HISTORIES.entrySet()) {
            String name = h.getKey();
            String json = resource("/histories/" + name + ".json");
            // runs recorded before a change have no marker for it and replay its DEFAULT branch
            assertEquals(h.getValue(), json.split("\"markerName\": \"Version\"", -1).length - 1,
                    name + ": which branches of Workflow.getVersion it covers");
            // the dataset child's history (its last run, after continue-as-new) replays against its own code
            // replayed under the id it ran with: the child's id derives from its parent's
            boolean child = name.endsWith("-dataset");
            String workflowId = child ? name.substring(0, name.length() - "-dataset".length()) + "/dataset" : name;
            WorkflowReplayer.replayWorkflowExecution(io.temporal.common.WorkflowExecutionHistory.fromJson(json, workflowId),
                    child ? DatasetWorkflowImpl.class : PipelineWorkflowImpl.class);
        }
    }

    static String resource(String path) throws IOException {
        try (InputStream in = WorkflowReplayTest.class.getResourceAsStream(path)) {
            assertNotNull(in, "missing recorded history " + path);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
