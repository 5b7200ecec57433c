package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.StudyActivities;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

import java.util.List;

/**
 * Measures claims on one's own data: prepares one dataset (a {@link PipelineWorkflow} child stopped after the condition
 * stage, {@code <study id>/prepare}), then runs every arm (variant x seed) as its own pipeline child on it
 * ({@code <study id>/<variant>-s<seed>}), at most {@code parallelArms} at a time, and writes one comparison report. An
 * arm that fails is reported as failed; the others go on.
 */
@WorkflowInterface
public interface StudyWorkflow {
    /**
     * @param reportUri     the comparison report (HTML)
     * @param reportJsonUri the same as JSON
     * @param dataset       the dataset every arm trained on
     * @param arms          every arm, with its run, published model or error
     * @param failed        arms that failed
     */
    record Result(String reportUri, String reportJsonUri, PreparedDataset dataset, List<StudyActivities.Arm> arms, int failed) {}

    /** @param state one of: waiting, running, done, failed; edgeF1 and error once it ended */
    record ArmStatus(String key, String workflowId, String state, Double edgeF1, String error) {}

    /** @param stage validate, prepare, arms, report, done or failed */
    record Status(String stage, String datasetPreparedBy, List<ArmStatus> arms, String reportUri, String error) {}

    @WorkflowMethod
    Result run(StudyInput input);

    @QueryMethod
    Status status();
}
