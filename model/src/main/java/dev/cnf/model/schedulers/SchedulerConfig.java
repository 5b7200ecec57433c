package dev.cnf.model.schedulers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A diffusers {@code scheduler/scheduler_config.json} (the keys DDPMScheduler, DDIMScheduler and PNDMScheduler share):
 * the training noise schedule and DDIM's timestep spacing come from it, as diffusers builds them. Settings cnf does
 * not implement are refused by name ({@link #problems}) rather than ignored.
 *
 * @param numTrainTimesteps {@code num_train_timesteps}
 * @param betaSchedule      {@code beta_schedule}: scaled_linear (SD1.5) or linear
 * @param predictionType    {@code prediction_type}: epsilon (SD1.5) or v_prediction (SD2.x; cnf's tiny-circles base)
 * @param timestepSpacing   {@code timestep_spacing}: leading (SD1.5), trailing or linspace
 * @param stepsOffset       {@code steps_offset}, added to leading timesteps
 * @param setAlphaToOne     {@code set_alpha_to_one}: the last DDIM step's "previous" alpha is 1, else alphas_cumprod[0]
 * @param rescaleBetasZeroSnr {@code rescale_betas_zero_snr}: the betas rescaled so the last timestep is pure noise
 *                          (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed"); needs
 *                          v_prediction, since ε says nothing about the image where there is no signal
 */
public record SchedulerConfig(int numTrainTimesteps, double betaStart, double betaEnd, String betaSchedule, String predictionType,
                              String timestepSpacing, int stepsOffset, boolean setAlphaToOne, boolean rescaleBetasZeroSnr) {
    static final Set<String> BETA_SCHEDULES = Set.of("scaled_linear", "linear");
    static final Set<String> SPACINGS = Set.of("leading", "trailing", "linspace");
    static final Set<String> PREDICTION_TYPES = Set.of("epsilon", "v_prediction");

    public SchedulerConfig {
        List<String> problems = problems(numTrainTimesteps, betaStart, betaEnd, betaSchedule, predictionType, timestepSpacing, stepsOffset,
                rescaleBetasZeroSnr);
        if (!problems.isEmpty()) {
            throw refused(problems);
        }
    }

    /** SD1.5's scheduler_config.json. */
    public static SchedulerConfig sd15() {
        return new SchedulerConfig(1000, 0.00085, 0.012, "scaled_linear", "epsilon", "leading", 1, false, false);
    }

    /** Reads diffusers' JSON; absent keys take diffusers' DDIMScheduler defaults, except those SD1.5 ships. */
    public static SchedulerConfig fromJson(String json) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("scheduler_config.json is not JSON", e);
        }
        List<String> problems = new ArrayList<>();
        if (n.hasNonNull("trained_betas")) {
            problems.add("trained_betas (explicit betas) is not implemented: give beta_start, beta_end and beta_schedule");
        }
        for (String flag : List.of("clip_sample", "thresholding")) {
            if (n.path(flag).asBoolean(false)) {
                problems.add(flag + " = true is not implemented (SD1.5 sets it false)");
            }
        }
        int steps = n.path("num_train_timesteps").asInt(1000);
        double betaStart = n.path("beta_start").asDouble(0.0001);
        double betaEnd = n.path("beta_end").asDouble(0.02);
        String betaSchedule = n.path("beta_schedule").asText("linear");
        String predictionType = n.path("prediction_type").asText("epsilon");
        String spacing = n.path("timestep_spacing").asText("leading");
        int stepsOffset = n.path("steps_offset").asInt(0);
        // one error naming every problem of the file, not the first group found
        boolean zeroSnr = n.path("rescale_betas_zero_snr").asBoolean(false);
        problems.addAll(problems(steps, betaStart, betaEnd, betaSchedule, predictionType, spacing, stepsOffset, zeroSnr));
        if (!problems.isEmpty()) {
            throw refused(problems);
        }
        return new SchedulerConfig(steps, betaStart, betaEnd, betaSchedule, predictionType, spacing, stepsOffset,
                n.path("set_alpha_to_one").asBoolean(true), zeroSnr);
    }

    private static IllegalArgumentException refused(List<String> problems) {
        return new IllegalArgumentException("scheduler config: " + String.join("; ", problems));
    }

    private static List<String> problems(int steps, double betaStart, double betaEnd, String betaSchedule, String predictionType,
                                         String spacing, int stepsOffset, boolean zeroSnr) {
        List<String> p = new ArrayList<>();
        if (steps < 1) {
            p.add("num_train_timesteps must be >= 1, got " + steps);
        }
        if (!(betaStart > 0 && betaEnd > betaStart && betaEnd < 1)) {
            p.add("need 0 < beta_start < beta_end < 1, got " + betaStart + " and " + betaEnd);
        }
        if (!BETA_SCHEDULES.contains(betaSchedule)) {
            p.add("beta_schedule '" + betaSchedule + "' is not implemented (known: " + String.join(", ", BETA_SCHEDULES) + ")");
        }
        if (!PREDICTION_TYPES.contains(predictionType)) {
            p.add("prediction_type '" + predictionType + "' is not implemented (known: " + String.join(", ", PREDICTION_TYPES) + ")");
        }
        if (!SPACINGS.contains(spacing)) {
            p.add("timestep_spacing '" + spacing + "' is not implemented (known: " + String.join(", ", SPACINGS) + ")");
        }
        if (stepsOffset < 0) {
            p.add("steps_offset must be >= 0, got " + stepsOffset);
        }
        if (zeroSnr && !"v_prediction".equals(predictionType)) {
            p.add("rescale_betas_zero_snr needs prediction_type v_prediction (the last timestep has no signal to predict ε from)");
        }
        return p;
    }

    /**
     * Whether the model predicts the velocity v = √ᾱ·ε − √(1−ᾱ)·x0 (diffusers' v_prediction) rather than the noise ε.
     * Its loss weighs the clean sample's error at high noise as much as ε's at low noise, so what is decided early in
     * sampling (in pixel space: the colours) is learned; an ε loss scales that error by the tiny SNR there.
     */
    public boolean predictsVelocity() {
        return "v_prediction".equals(predictionType);
    }

    /** This config as diffusers' scheduler_config.json keys (those cnf reads). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_class_name", "DDIMScheduler");
        m.put("num_train_timesteps", numTrainTimesteps);
        m.put("beta_start", betaStart);
        m.put("beta_end", betaEnd);
        m.put("beta_schedule", betaSchedule);
        m.put("prediction_type", predictionType);
        m.put("timestep_spacing", timestepSpacing);
        m.put("steps_offset", stepsOffset);
        m.put("set_alpha_to_one", setAlphaToOne);
        m.put("rescale_betas_zero_snr", rescaleBetasZeroSnr);
        m.put("clip_sample", false);
        return m;
    }

    /** The training schedule's alphas_cumprod, as diffusers computes them from the betas. */
    public NoiseSchedule noiseSchedule() {
        return new NoiseSchedule(this);
    }
}
