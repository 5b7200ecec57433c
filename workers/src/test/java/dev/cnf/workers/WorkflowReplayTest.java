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
 * cancelled run, all from before sharded ingestion; and a whole chain with sharded ingestion) against
 * today's workflow code: a change that would break running workflows fails here. Re-record with {@code mvn -pl workers test -Dtest=PipelineWorkflowTest
 * -Dcnf.recordHistories=$PWD/workers/src/test/resources/histories} only for changes guarded by
 * {@code Workflow.getVersion}.
 */
class WorkflowReplayTest {
    static final List<String> HISTORIES = List.of("wf-chain", "wf-pause", "wf-cancel", "wf-chain-sharded");

    @Test
    void recordedHistoriesReplayDeterministically() throws Exception {
        for (String name : HISTORIES) {
            String json = resource("/histories/" + name + ".json");
            // runs recorded before sharded ingestion have no version marker and replay the single-activity branch
            assertEquals(name.endsWith("-sharded"), json.contains("\"markerName\": \"Version\""),
                    name + ": which branch of Workflow.getVersion(\"sharded-ingest\") it covers");
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
