package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.TrainActivities;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** The whole factory: ingest → clean → caption → condition → train → evaluate → publish. */
@WorkflowInterface
public interface PipelineWorkflow {
    @WorkflowMethod
    PipelineResult run(PipelineInput input);

    /** Stage, per-stage results, training progress, pause/cancel state, URIs. */
    @QueryMethod
    PipelineStatus status();

    /** Training checkpoints and waits; other stages finish and the run waits before the next one. */
    @SignalMethod
    void pause();

    @SignalMethod
    void resume();

    /** Graceful stop: training checkpoints first; the run then fails with type "Cancelled" and publishes nothing. */
    @SignalMethod
    void cancel(String reason);

    /** Changes the training steps or probe interval of this run; a running training restarts from a fresh checkpoint. */
    @UpdateMethod
    TrainingControl updateTraining(TrainingControl change);

    @UpdateValidatorMethod(updateName = "updateTraining")
    void validateUpdateTraining(TrainingControl change);

    /** Sent by the train activity (first step, checkpoints, pause; else at most once a minute): the status query's training progress. */
    @SignalMethod
    void trainingProgress(TrainActivities.Progress progress);

    /** Sent by the {@link TrainingWorkflow} child: its stage, the train activity's progress, evaluations during training. */
    @SignalMethod
    void trainingReport(TrainingWorkflow.Report report);

    /** Sent by the {@link DatasetWorkflow} child as shards finish (in batches): the status query's dataset counts. */
    @SignalMethod
    void datasetProgress(DatasetWorkflow.Progress progress);
}
