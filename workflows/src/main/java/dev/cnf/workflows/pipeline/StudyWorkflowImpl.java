package dev.cnf.workflows.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.workflows.stages.StudyActivities;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Deterministic orchestration only: the arms are pipeline children, the report an activity. */
public class StudyWorkflowImpl implements StudyWorkflow {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final StudyActivities study = StageActivities.study();

    private String stage = "validate";
    private PreparedDataset dataset;
    private final Map<String, ArmStatus> arms = new LinkedHashMap<>();
    private String reportUri;
    private String error;
    private int inFlight;

    @Override
    public Result run(StudyInput raw) {
        StudyInput in = raw == null ? StudyInput.defaults() : raw;
        List<String> problems = in.problems();
        if (!problems.isEmpty()) {
            throw fail("invalid study: " + String.join("; ", problems), StageActivities.INVALID_INPUT);
        }
        WorkflowInfo info = Workflow.getInfo();
        String id = info.getWorkflowId();
        in.arms(null).forEach(a -> arms.put(a.key(), new ArmStatus(a.key(), armId(id, a), "waiting", null, null)));

        stage = "prepare";
        try {
            dataset = child(id + "/prepare").run(in.preparation()).dataset();
        } catch (ChildWorkflowFailure e) {
            throw fail("preparing the dataset failed: " + PipelineWorkflowImpl.failureReason(e), "DatasetFailed");
        }

        stage = "arms";
        List<StudyInput.Arm> toRun = in.arms(dataset);
        Map<String, StudyActivities.Arm> outcomes = new HashMap<>(); // by arm key, as they end
        for (StudyInput.Arm arm : toRun) {
            Workflow.await(() -> inFlight < in.parallelArms());
            inFlight++;
            String armId = armId(id, arm);
            arms.put(arm.key(), new ArmStatus(arm.key(), armId, "running", null, null));
            PipelineWorkflow pipeline = child(armId);
            Async.function(pipeline::run, arm.input()).handle((r, e) -> {
                inFlight--;
                StudyActivities.Arm outcome = e == null
                        ? new StudyActivities.Arm(arm.key(), arm.variant(), arm.seed(), armId, r.modelUri(), r.trainingLogKey(),
                                r.evaluationMetricsKey(), null)
                        : new StudyActivities.Arm(arm.key(), arm.variant(), arm.seed(), armId, null, null, null,
                                String.valueOf(PipelineWorkflowImpl.failureReason(e))); // never null: a null error reads as success
                outcomes.put(arm.key(), outcome);
                arms.put(arm.key(), new ArmStatus(arm.key(), armId, e == null ? "done" : "failed", e == null ? r.edgeF1() : null,
                        outcome.error()));
                return null;
            });
        }
        Workflow.await(() -> outcomes.size() == toRun.size());
        // the report lists the arms in the order they were started, whatever order they ended in
        List<StudyActivities.Arm> ordered = toRun.stream().map(a -> outcomes.get(a.key())).toList();

        stage = "report";
        List<StudyActivities.Variant> variants = in.variants().stream().map(v -> new StudyActivities.Variant(v.name(), json(v.set()))).toList();
        StudyActivities.Report report = study.report(new StudyActivities.ReportRequest("studies/" + id + "/" + info.getRunId(), id,
                dataset.preparedBy(), dataset.conditioned(), variants, ordered));
        reportUri = report.htmlUri();
        stage = "done";
        int failed = (int) ordered.stream().filter(a -> a.error() != null).count();
        return new Result(report.htmlUri(), report.jsonUri(), dataset, ordered, failed);
    }

    private static String armId(String studyId, StudyInput.Arm arm) {
        return studyId + "/" + arm.key();
    }

    /** A pipeline child on the study's own queue family. */
    private static PipelineWorkflow child(String workflowId) {
        return Workflow.newChildWorkflowStub(PipelineWorkflow.class, ChildWorkflowOptions.newBuilder().setWorkflowId(workflowId)
                .setTaskQueue(StageActivities.cpuQueue()).build());
    }

    private static String json(Map<String, Object> fields) {
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private ApplicationFailure fail(String message, String type) {
        error = message;
        stage = "failed";
        return ApplicationFailure.newNonRetryableFailure(message, type);
    }

    @Override
    public Status status() {
        return new Status(stage, dataset == null ? null : dataset.preparedBy(), List.copyOf(arms.values()), reportUri, error);
    }
}
