package dev.cnf.workflows.stages;

import dev.cnf.workflows.spec.CaptionSpec;
import dev.cnf.workflows.spec.ConditionSpec;
import dev.cnf.workflows.spec.DatasetSplit;
import dev.cnf.workflows.spec.EvaluationSpec;
import dev.cnf.workflows.spec.ModelSpec;
import dev.cnf.workflows.spec.RunContext;
import dev.cnf.workflows.spec.TrainingSpec;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.List;

/** Samples images from held conditions and writes an HTML report with controllability numbers. */
@ActivityInterface
public interface EvaluateActivities {
    /**
     * Samples the held-out part of the split (never trained on) in the paper's prompt modes: none (""), default
     * ({@code caption.defaultPrompt()}), automatic (each sample's caption) and user ({@code evaluation.userPrompt()},
     * skipped when empty). The run's name finds the previous published version to compare with.
     *
     * @param training           the training's settings in force (the report states its hyperparameters)
     * @param cleanReportKey     the clean stage's report, summarised in the evaluation report
     * @param trained            what training (or a segment of it) produced: weights, metrics, convergence step, base UNet
     * @param atStep             an evaluation during training, of the checkpoint at this step: written under
     *                           {@code evaluate/step-N/} (null: the final evaluation)
     * @param duringTrainingKeys the final evaluation lists these earlier evaluations' metrics (empty: none)
     */
    record Request(RunContext run, DatasetSplit split, ModelSpec model, ConditionSpec conditioning, CaptionSpec caption,
                   EvaluationSpec evaluation, TrainingSpec training, String cleanReportKey, TrainActivities.Result trained, Integer atStep,
                   List<String> duringTrainingKeys) {
        /** This evaluation of what a training (segment) produced, with the training's settings then in force. */
        public Request of(TrainingSpec trainedWith, TrainActivities.Result result, Integer step, List<String> earlier) {
            return new Request(run, split, model, conditioning, caption, evaluation, trainedWith, cleanReportKey, result, step, earlier);
        }
    }

    /**
     * @param edgeF1 mean F1 between the input edges and Canny edges of the samples, automatic prompts (controllability)
     * @param edgeF1NoControl the same for the base model without control: the floor
     * @param keptWeightsKey an evaluation during training of a run that selects its best checkpoint keeps the weights it
     *                       evaluated here (the training's own weights object moves on); else null
     */
    record Result(String reportKey, String evalMetricsKey, int samples, double edgeF1, double edgeF1NoControl, String keptWeightsKey) {}

    @ActivityMethod
    Result evaluate(Request request);
}
