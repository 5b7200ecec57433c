package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.List;

/** Trains the ControlNet; checkpoints to object storage and resumes from the last one on retry. */
@ActivityInterface
public interface TrainActivities {
    /** @param continueFrom a model name: start from its latest version's weights instead of a fresh copy of the encoder (null: fresh) */
    /**
     * @param mode                 "default" (all skips and the middle block connected) or "small" (the paper's small-scale
     *                             mode: only the middle block until the skips are reconnected); null means default
     * @param reconnectAt          small mode: the step to connect the skips, or -1 for when sudden convergence is detected
     * @param stopAfterConvergence stop this many steps after sudden convergence is detected; -1 trains all steps
     * @param unlockBaseAt         "large" mode (the paper's large-scale mode): the step from which the base UNet trains too
     * @param baseLearningRate     "large" mode: the base UNet's learning rate
     * @param precision            "fp32", "fp16" or "bf16": the type the frozen base computes in; null means fp32
     */
    record Request(String runPrefix, String samplesKey, String modelConfig, String baseModel, int resolution, int steps, int batchSize,
                   double learningRate, long seed, int checkpointEvery, int heldOut, int probeEvery, double guidanceScale,
                   String continueFrom, String mode, Integer reconnectAt, Integer stopAfterConvergence,
                   Integer unlockBaseAt, Double baseLearningRate, String precision) {
        /** The same training with another step count and probe interval (segments, pause/update restarts). */
        public Request withSteps(int newSteps, int newProbeEvery) {
            return new Request(runPrefix, samplesKey, modelConfig, baseModel, resolution, newSteps, batchSize, learningRate, seed,
                    checkpointEvery, heldOut, newProbeEvery, guidanceScale, continueFrom, mode, reconnectAt, stopAfterConvergence,
                    unlockBaseAt, baseLearningRate, precision);
        }
    }

    /**
     * What the activity heartbeats (enough to resume and to show progress) and reports to the workflow.
     *
     * @param stepsPerSecond training throughput since this attempt started
     * @param etaSeconds     remaining steps at that throughput
     */
    record Progress(int step, int totalSteps, double loss, String lastCheckpointKey, double stepsPerSecond, double etaSeconds) {}

    /**
     * @param convergedStep the step at which sudden convergence was detected, or null
     * @param baseUnetKey   large mode: the jointly trained base UNet's weights (null when the base stayed frozen)
     */
    /** @param skippedSteps steps whose loss or gradients were not finite (skipped, no update); metrics.jsonl says why */
    record Result(int steps, double finalLoss, String weightsKey, String configKey, String metricsKey,
                  List<String> checkpointKeys, String baseSha256, Integer convergedStep, String baseUnetKey, int skippedSteps) {}

    @ActivityMethod
    Result train(Request request);
}
