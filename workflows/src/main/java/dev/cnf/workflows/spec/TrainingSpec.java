package dev.cnf.workflows.spec;

import java.util.List;

/**
 * How the ControlNet trains. Null means the default; {@link #trainSteps}, {@link #probeEvery} and {@link #evalEvery} can
 * be changed while the run trains (the workflow's {@code updateTraining} update).
 *
 * @param trainSteps     optimizer steps, in all
 * @param batchSize      samples per step
 * @param learningRate   AdamW learning rate (default: 5e-3 for the tiny preset, the paper's 1e-5 for Stable Diffusion)
 * @param checkpointEvery steps between checkpoints in object storage
 * @param probeEvery     training steps between convergence probes (condition gain + edge F1 on held-out samples)
 * @param evalEvery      also evaluate the checkpoint every this many steps during training (0: only the final weights)
 * @param trainingMode   "default" (all 12 skips and the middle block connected), "small" (the paper's small-scale mode:
 *                       only the middle block, the skips reconnected at reconnectSkipsAt or when sudden convergence is detected)
 *                       or "large" (the paper's large-scale mode: after unlockBaseAt steps the base UNet trains too)
 * @param reconnectSkipsAt small mode: step to reconnect the skips; -1 reconnects when the detector fires
 * @param stopAfterConvergence end training this many steps after sudden convergence is detected; -1 trains all trainSteps
 * @param unlockBaseAt   large mode: the step from which the base UNet's weights train jointly with the ControlNet
 * @param baseLearningRate large mode: the base UNet's own AdamW learning rate (default: learningRate / 10)
 * @param continueFromLatest retraining: start from the latest published version's weights instead of a fresh ControlNet
 * @param promptDropout  the share of training prompts replaced by the empty string (the paper's 50%), in [0, 1]
 * @param zeroConvInit   "zero" (the paper's zero convolutions joining the ControlNet to the UNet) or "gaussian" (its
 *                       ablation: standard layers drawn from N(0, 1/fan_in)); only for a fresh ControlNet
 * @param shuffleBuffer  samples held for shuffling while training streams the dataset's shards (webdataset's shuffle
 *                       buffer); a training split no larger than it is shuffled whole each epoch
 * @param augment        paired augmentation, each applied alike to image and condition: {@code flip} (left-right, half of
 *                       the time) and {@code crop} (a random region of the image's aspect, 80-100% of each side, resized back); none by default
 */
public record TrainingSpec(Integer trainSteps, Integer batchSize, Double learningRate, Integer checkpointEvery, Integer probeEvery,
                           Integer evalEvery, String trainingMode, Integer reconnectSkipsAt, Integer stopAfterConvergence,
                           Integer unlockBaseAt, Double baseLearningRate, Boolean continueFromLatest, Double promptDropout,
                           String zeroConvInit, Integer shuffleBuffer, List<String> augment) {
    public static final List<String> AUGMENTATIONS = List.of("flip", "crop");
    public static final List<String> TRAINING_MODES = List.of("default", "small", "large");
    public static final List<String> ZERO_CONV_INITS = List.of("zero", "gaussian");
    /** The largest step count an input or an update may set. */
    public static final int MAX_STEPS = 10_000_000;
    /** The largest shuffle buffer: its samples are held compressed in the worker's memory. */
    public static final int MAX_SHUFFLE_BUFFER = 1_000_000;

    /** Defaults except the learning rates, which depend on the model ({@link #forModel}). */
    public TrainingSpec {
        // Tuned for the tiny preset: its ControlNet converges at ~200 steps (edge F1 0.11 → 0.40 on held-out samples).
        trainSteps = trainSteps == null ? 600 : trainSteps;
        batchSize = batchSize == null ? 8 : batchSize;
        checkpointEvery = checkpointEvery == null ? 100 : checkpointEvery;
        probeEvery = probeEvery == null ? 50 : probeEvery;
        evalEvery = evalEvery == null ? 0 : evalEvery;
        trainingMode = Checks.blank(trainingMode) ? "default" : trainingMode;
        reconnectSkipsAt = reconnectSkipsAt == null ? -1 : reconnectSkipsAt;
        stopAfterConvergence = stopAfterConvergence == null ? -1 : stopAfterConvergence;
        unlockBaseAt = unlockBaseAt == null ? -1 : unlockBaseAt;
        continueFromLatest = continueFromLatest != null && continueFromLatest;
        promptDropout = promptDropout == null ? 0.5 : promptDropout;
        zeroConvInit = Checks.blank(zeroConvInit) ? "zero" : zeroConvInit;
        shuffleBuffer = shuffleBuffer == null ? 1000 : shuffleBuffer;
        augment = augment == null ? List.of() : augment.stream().map(Checks::stripped).toList();
    }

    public static TrainingSpec defaults() {
        return new TrainingSpec(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** With the learning rates the model's preset takes unless set: 5e-3 for tiny, the paper's 1e-5 for Stable Diffusion. */
    public TrainingSpec forModel(ModelSpec model) {
        double rate = learningRate != null ? learningRate : model.tiny() ? 5e-3 : 1e-5;
        double baseRate = baseLearningRate != null ? baseLearningRate : rate / 10;
        return new TrainingSpec(trainSteps, batchSize, rate, checkpointEvery, probeEvery, evalEvery, trainingMode, reconnectSkipsAt,
                stopAfterConvergence, unlockBaseAt, baseRate, continueFromLatest, promptDropout, zeroConvInit, shuffleBuffer, augment);
    }

    /** The same training with the schedule an operator's update set (a null keeps that setting). */
    public TrainingSpec withSchedule(Integer newTrainSteps, Integer newProbeEvery, Integer newEvalEvery) {
        return new TrainingSpec(newTrainSteps == null ? trainSteps : newTrainSteps, batchSize, learningRate, checkpointEvery,
                newProbeEvery == null ? probeEvery : newProbeEvery, newEvalEvery == null ? evalEvery : newEvalEvery, trainingMode,
                reconnectSkipsAt, stopAfterConvergence, unlockBaseAt, baseLearningRate, continueFromLatest, promptDropout, zeroConvInit,
                shuffleBuffer, augment);
    }

    public boolean large() {
        return trainingMode.equals("large");
    }

    public void addProblems(List<String> p) {
        Checks.range(p, "trainSteps", trainSteps, 1, MAX_STEPS);
        Checks.range(p, "batchSize", batchSize, 1, 4096);
        Checks.open01(p, "learningRate", learningRate);
        Checks.range(p, "checkpointEvery", checkpointEvery, 1, MAX_STEPS);
        Checks.range(p, "probeEvery", probeEvery, 1, MAX_STEPS);
        if (evalEvery != 0 && !(evalEvery >= 1 && evalEvery < trainSteps)) {
            p.add("evalEvery " + evalEvery + ": evaluates during training every this many steps, in [1, trainSteps); 0 evaluates only the end");
        }
        Checks.oneOf(p, "trainingMode", trainingMode, TRAINING_MODES);
        if (large() && !(unlockBaseAt >= 1 && unlockBaseAt < trainSteps)) {
            p.add("unlockBaseAt " + unlockBaseAt + ": trainingMode large needs the step to unlock the base UNet, in [1, trainSteps)");
        } else if (!large() && unlockBaseAt != -1) {
            p.add("unlockBaseAt " + unlockBaseAt + ": only trainingMode large unlocks the base UNet; leave it unset (-1)");
        }
        Checks.open01(p, "baseLearningRate", baseLearningRate);
        Checks.range(p, "reconnectSkipsAt", reconnectSkipsAt, -1, MAX_STEPS);
        Checks.range(p, "stopAfterConvergence", stopAfterConvergence, -1, MAX_STEPS);
        if (!(promptDropout >= 0 && promptDropout <= 1)) {
            p.add("promptDropout " + promptDropout + ": the share of prompts trained as empty strings, in [0, 1] (the paper's 0.5)");
        }
        Checks.oneOf(p, "zeroConvInit", zeroConvInit, ZERO_CONV_INITS);
        Checks.range(p, "shuffleBuffer", shuffleBuffer, 1, MAX_SHUFFLE_BUFFER);
        for (String a : augment) {
            Checks.oneOf(p, "augment", a, AUGMENTATIONS);
        }
        if (new java.util.HashSet<>(augment).size() != augment.size()) {
            p.add("augment " + augment + ": each augmentation once");
        }
        if (zeroConvInit.equals("gaussian") && continueFromLatest) {
            p.add("zeroConvInit gaussian: only a fresh ControlNet is initialised, and continueFromLatest starts from trained weights; drop one");
        }
    }
}
