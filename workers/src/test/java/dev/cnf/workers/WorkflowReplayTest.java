package dev.cnf.workers;

import dev.cnf.workflows.pipeline.DatasetWorkflowImpl;
import dev.cnf.workflows.pipeline.PipelineWorkflowImpl;
import dev.cnf.workflows.pipeline.ShardWorkflowImpl;
import dev.cnf.workflows.pipeline.StageWorkflows;
import dev.cnf.workflows.pipeline.StudyWorkflowImpl;
import dev.cnf.workflows.pipeline.TrainingWorkflowImpl;
import io.temporal.testing.WorkflowReplayer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Replays histories recorded from today's code (a whole chain; one with evaluation during training and every stage's
 * child; the shards' child and one shard; a training paused, updated and resumed; one cancelled) against the workflow
 * code: a change that would break running workflows fails here. There is one code path and no Workflow.getVersion
 * gate (no release has shipped; README, "Workflow versioning"), so a change to what the workflows schedule is
 * re-recorded with {@code mvn -pl workers surefire:test -Dtest=PipelineWorkflowTest
 * -Dcnf.recordHistories=$PWD/workers/src/test/resources/histories}.
 */
class WorkflowReplayTest {
    /**
     * A name with a stage suffix is that child's history (for a child that continued as new, its last run), replayed
     * under the id it ran with.
     */
    static final List<String> HISTORIES = List.of("wf-chain", "wf-child", "wf-child-dataset",
            "wf-eval-every", "wf-eval-every-dataset", "wf-eval-every-dataset-shard-00000", "wf-eval-every-caption",
            "wf-eval-every-condition", "wf-eval-every-train", "wf-eval-every-evaluate", "wf-eval-every-publish",
            "wf-train-pause", "wf-train-pause-train", "wf-train-cancel", "wf-train-cancel-train");

    /** The workflow implementation of each child, by the suffix its id has after the parent's. */
    static final Map<String, Class<?>> CHILDREN = Map.of("dataset", DatasetWorkflowImpl.class,
            "caption", StageWorkflows.CaptionWorkflowImpl.class, "condition", StageWorkflows.ConditionWorkflowImpl.class,
            "train", TrainingWorkflowImpl.class, "evaluate", StageWorkflows.EvaluationWorkflowImpl.class,
            "publish", StageWorkflows.PublishWorkflowImpl.class, "shard", ShardWorkflowImpl.class);

    /** A study's history and one arm's (a pipeline given the study's prepared dataset), under the ids they ran with. */
    static final Map<String, String> STUDY_HISTORIES = Map.of("study-smoke", "study-smoke", "study-smoke-zero-s1", "study-smoke/zero-s1");

    @Test
    void recordedStudyHistoriesReplayDeterministically() throws Exception {
        for (Map.Entry<String, String> h : STUDY_HISTORIES.entrySet()) {
            String json = resource("/histories/" + h.getKey() + ".json");
            WorkflowReplayer.replayWorkflowExecution(io.temporal.common.WorkflowExecutionHistory.fromJson(json, h.getValue()),
                    h.getKey().equals(h.getValue()) ? StudyWorkflowImpl.class : PipelineWorkflowImpl.class);
        }
    }

    @Test
    void recordedHistoriesReplayDeterministically() throws Exception {
        for (String name : HISTORIES) {
            String json = resource("/histories/" + name + ".json");
            assertFalse(json.contains("\"markerName\": \"Version\""), name + ": one code path, no Workflow.getVersion marker");
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
