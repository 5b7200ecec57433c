package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.spec.TrainingSpec;
import dev.cnf.workflows.stages.EvaluateActivities;
import dev.cnf.workflows.stages.TrainActivities;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

import java.util.List;

/**
 * The train stage as a child workflow of {@link PipelineWorkflow} ({@code <run id>/train}): the train activity, restarted
 * from its own checkpoint after a pause or a settings change, and with {@code evalEvery} the evaluations of the
 * checkpoints between training segments. The parent stays the operators' single point of control: it validates updates
 * and passes pause, resume and changed settings on as signals; cancelling this workflow makes training write a
 * checkpoint and stop. The parent's status query learns of steps, pauses and evaluations from {@link Report} signals.
 */
@WorkflowInterface
public interface TrainingWorkflow extends PausableChild {
    /**
     * @param parentWorkflowId receives {@link PipelineWorkflow#trainingReport} signals
     * @param training         the training as the run starts it; its schedule (steps, probe and evaluation intervals) may change
     * @param evaluation       the run's evaluation, which each evaluated checkpoint completes ({@link EvaluateActivities.Request#of});
     *                         training takes the run, the split, the model and the probe settings from it
     * @param paused           the parent was paused when it started this child
     */
    record Input(String parentWorkflowId, TrainingSpec training, EvaluateActivities.Request evaluation, boolean paused) {}

    /**
     * @param training       the last segment's result: all the steps trained
     * @param duringTraining the evaluations during training, in step order
     */
    record Result(TrainActivities.Result training, List<Evaluated> duringTraining) {
        /** Their metrics, which the final evaluation lists. */
        public List<String> duringTrainingKeys() {
            return Evaluated.metricsKeys(duringTraining);
        }
    }

    /** The checkpoint at {@code step}, evaluated during training. */
    record Evaluated(int step, EvaluateActivities.Result result) {
        static List<String> metricsKeys(List<Evaluated> evaluations) {
            return evaluations.stream().map(e -> e.result().evalMetricsKey()).toList();
        }
    }

    /**
     * What the parent shows: any of the fields may be null (nothing new of that kind).
     *
     * @param state    train, paused training at a step, or an evaluation of the checkpoint at a step
     * @param progress the train activity's latest progress
     * @param finished a line for the parent's finished-work list, e.g. an evaluation during training
     */
    record Report(StageState state, TrainActivities.Progress progress, String finished) {}

    /** What {@link #status} answers, for operators who open this child in the Temporal UI. */
    record Status(StageState state, TrainActivities.Progress progress, TrainingControl settings, List<String> duringTrainingKeys) {}

    @WorkflowMethod
    Result run(Input input);

    /** New settings, already validated by the parent: the running segment checkpoints and restarts with them. */
    @SignalMethod
    void change(TrainingControl settings);

    /**
     * From the train activity (first step, checkpoints, pause; else at most once a minute). Passed on to the parent: a
     * new checkpoint and an attempt's first step at once, other steps at most every five minutes (history budget).
     */
    @SignalMethod
    void trainingProgress(TrainActivities.Progress progress);

    @QueryMethod
    Status status();
}
