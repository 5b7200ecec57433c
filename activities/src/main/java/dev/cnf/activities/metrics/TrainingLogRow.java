package dev.cnf.activities.metrics;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One row of a run's training log, {@code train/metrics.jsonl}: a JSON object per line, its {@code kind} naming the
 * record. Training writes it (each checkpoint carries the log so far); the evaluation report and a resumed training's
 * convergence detector read it back. Non-finite numbers are written as strings ("NaN") and read back as numbers.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = TrainingLogRow.Step.class, name = "step"),
        @JsonSubTypes.Type(value = TrainingLogRow.Probe.class, name = "probe"),
        @JsonSubTypes.Type(value = TrainingLogRow.Resume.class, name = "resume"),
        @JsonSubTypes.Type(value = TrainingLogRow.Init.class, name = "init"),
        @JsonSubTypes.Type(value = TrainingLogRow.Cache.class, name = "cache"),
        @JsonSubTypes.Type(value = TrainingLogRow.Unlock.class, name = "unlock"),
        @JsonSubTypes.Type(value = TrainingLogRow.Reconnect.class, name = "reconnect"),
        @JsonSubTypes.Type(value = TrainingLogRow.BaseDeviation.class, name = "base_deviation")})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface TrainingLogRow {
    /** The optimizer steps done when the row was written. */
    int step();

    /**
     * One optimizer step.
     *
     * @param skipped      the loss or the gradients were not finite: no update (see {@code skipReason})
     * @param rolledBackTo recurring non-finite steps sent training back to this checkpointed step (else null)
     */
    record Step(int step, double loss, double gradNorm, double stepsPerSecond, boolean skipped, String skipReason,
                Integer rolledBackTo) implements TrainingLogRow {}

    /**
     * A convergence probe on the held-out split: condition gain and edge F1 of few-step samples.
     *
     * @param edgeF1StdErr  the standard error of that mean over the held-out samples (the report's confidence band)
     * @param convergedStep set on the probe at which the detector found sudden convergence
     */
    record Probe(int step, double conditionGain, double edgeF1, Double edgeF1StdErr, Integer convergedStep) implements TrainingLogRow {}

    /** An attempt resumed from a checkpoint. */
    record Resume(int step, String checkpoint, int attempt) implements TrainingLogRow {}

    /** Training started from published weights (retraining): the ControlNet's, and a large-mode version's base UNet. */
    record Init(int step, String from, String baseUnetFrom) implements TrainingLogRow {}

    /**
     * How many encoder outputs came from the encoding cache (in memory or in object storage) and how many were encoded;
     * the {@code stored} flags say whether that encoder's outputs are kept in object storage at all (not for encoders
     * cheaper than a fetch, such as the tiny preset's).
     */
    record Cache(int step, int latentHits, int latentMisses, int textHits, int textMisses, boolean latentsStored, boolean textStored)
            implements TrainingLogRow {}

    /** Large mode: the base UNet joined training at this step. */
    record Unlock(int step, double baseLearningRate) implements TrainingLogRow {}

    /**
     * Before the first step of a fresh ControlNet: how far the wrapped model's output (noise or velocity) is from its
     * base's on the held-out probe batch (exactly 0 with zero convolutions).
     *
     * @param zeroConvInit how the joins were initialised ({@code zero} or {@code gaussian})
     */
    record BaseDeviation(int step, String zeroConvInit, double maxAbs, double rms) implements TrainingLogRow {}

    /** Small mode: the skip connections were reconnected, and why. */
    record Reconnect(int step, String why) implements TrainingLogRow {}
}
