package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Samples images from held conditions and writes an HTML report with controllability numbers. */
@ActivityInterface
public interface EvaluateActivities {
    /**
     * Samples the held-out split (the same one training kept aside, see {@code samples}) in the
     * paper's prompt modes: none (""), default ({@code defaultPrompt}), automatic (each sample's
     * caption) and user ({@code userPrompt}, skipped when empty). {@code name} finds the previous
     * published version to compare with.
     *
     * @param atStep             an evaluation during training, of the checkpoint at this step: written under
     *                           {@code evaluate/step-N/} (null: the final evaluation)
     * @param duringTrainingKeys the final evaluation lists these earlier evaluations' metrics (empty: none)
     * @param precision          the type the frozen base samples in, as training used it ("fp32", "fp16", "bf16"; null: fp32)
     */
    record Request(String runPrefix, String name, String samplesKey, String weightsKey, String metricsKey, String cleanReportKey,
                   String modelConfig, String baseModel, int samples, int steps, double guidanceScale, double controlScale,
                   String defaultPrompt, String userPrompt, long seed, Integer convergedStep, String condition, String annotatorModel,
                   String baseUnetKey, Integer atStep, java.util.List<String> duringTrainingKeys, String precision) {
        /** This evaluation of what a training (segment) produced: its weights, metrics, convergence step and base UNet. */
        public Request of(TrainActivities.Result trained, Integer step, java.util.List<String> earlier) {
            return new Request(runPrefix, name, samplesKey, trained.weightsKey(), trained.metricsKey(), cleanReportKey, modelConfig,
                    baseModel, samples, steps, guidanceScale, controlScale, defaultPrompt, userPrompt, seed, trained.convergedStep(),
                    condition, annotatorModel, trained.baseUnetKey(), step, earlier, precision);
        }
    }

    /**
     * @param edgeF1 mean F1 between the input edges and Canny edges of the samples, automatic prompts (controllability)
     * @param edgeF1NoControl the same for the base model without control: the floor
     */
    record Result(String reportKey, String evalMetricsKey, int samples, double edgeF1, double edgeF1NoControl) {}

    @ActivityMethod
    Result evaluate(Request request);
}
