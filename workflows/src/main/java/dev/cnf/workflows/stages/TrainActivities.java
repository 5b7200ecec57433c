package dev.cnf.workflows.stages;

import dev.cnf.workflows.spec.DatasetSplit;
import dev.cnf.workflows.spec.EvaluationSpec;
import dev.cnf.workflows.spec.ModelSpec;
import dev.cnf.workflows.spec.RunContext;
import dev.cnf.workflows.spec.TrainingSpec;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.List;

/** Trains the ControlNet; checkpoints to object storage and resumes from the last one on retry. */
@ActivityInterface
public interface TrainActivities {
    /**
     * One training run, or one segment of it: training resumes from the run's last checkpoint and stops at
     * {@code segmentEnd}, which is {@code training.trainSteps()} unless the run evaluates between segments.
     *
     * @param split      the held-out part is probed, never trained on
     * @param evaluation the probes sample with its guidance scale
     * @param segmentEnd the step this activity trains to
     */
    record Request(RunContext run, DatasetSplit split, ModelSpec model, TrainingSpec training, EvaluationSpec evaluation,
                   int segmentEnd) {
        /** With {@code continueFromLatest}, the model whose latest published weights training starts from (null: a fresh copy of the encoder). */
        public String continueFrom() {
            return training.continueFromLatest() ? run.name() : null;
        }
    }

    /**
     * What the activity heartbeats (enough to resume and to show progress) and reports to the workflow.
     *
     * @param totalSteps     the run's steps in all (not the segment's end)
     * @param stepsPerSecond training throughput since this attempt started
     * @param etaSeconds     remaining steps at that throughput
     */
    record Progress(int step, int totalSteps, double loss, String lastCheckpointKey, double stepsPerSecond, double etaSeconds) {}

    /**
     * @param convergedStep the step at which sudden convergence was detected, or null
     * @param baseUnetKey   large mode: the jointly trained base UNet's weights (null when the base stayed frozen)
     * @param skippedSteps  steps whose loss or gradients were not finite (skipped, no update); metrics.jsonl says why
     */
    record Result(int steps, double finalLoss, String weightsKey, String configKey, String metricsKey,
                  List<String> checkpointKeys, String baseSha256, Integer convergedStep, String baseUnetKey, int skippedSteps) {
        /** The same training with other ControlNet weights (an earlier checkpoint's, chosen by model selection). */
        public Result withWeightsKey(String key) {
            return new Result(steps, finalLoss, key, configKey, metricsKey, checkpointKeys, baseSha256, convergedStep, baseUnetKey, skippedSteps);
        }
    }

    @ActivityMethod
    Result train(Request request);
}
