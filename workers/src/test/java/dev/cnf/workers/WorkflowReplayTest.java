package dev.cnf.workers;

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
 * cancelled run, all from before sharded ingestion; a whole chain with sharded ingestion; and one with
 * the validation activity too) against
 * today's workflow code: a change that would break running workflows fails here. Re-record with {@code mvn -pl workers test -Dtest=PipelineWorkflowTest
 * -Dcnf.recordHistories=$PWD/workers/src/test/resources/histories} only for changes guarded by
 * {@code Workflow.getVersion}.
 */
class WorkflowReplayTest {
    /** Histories and how many Workflow.getVersion markers each recorded (0: before sharded ingestion; 2: validation too). */
    static final java.util.Map<String, Integer> HISTORIES = new java.util.LinkedHashMap<>(java.util.Map.of(
            "wf-chain", 0, "wf-pause", 0, "wf-cancel", 0, "wf-chain-sharded", 1, "wf-chain-validated", 2));

    @Test
    void recordedHistoriesReplayDeterministically() throws Exception {
        for (var h : HISTORIES.entrySet()) {
            String name = h.getKey();
            String json = resource("/histories/" + name + ".json");
            // runs recorded before a change have no marker for it and replay its DEFAULT branch
            assertEquals(h.getValue(), json.split("\"markerName\": \"Version\"", -1).length - 1,
                    name + ": which branches of Workflow.getVersion it covers");
            WorkflowReplayer.replayWorkflowExecution(json, PipelineWorkflowImpl.class);
        }
    }

    static String resource(String path) throws IOException {
        try (InputStream in = WorkflowReplayTest.class.getResourceAsStream(path)) {
            assertNotNull(in, "missing recorded history " + path);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
