package dev.cnf.model.schedulers;

import ai.djl.ndarray.NDArray;
import dev.cnf.model.nn.Scalars;

/**
 * DDIM (eta = 0) as diffusers' DDIMScheduler builds it from a {@link SchedulerConfig}: timesteps by its spacing ("leading"
 * with steps_offset, as SD1.5 ships it; "trailing"; "linspace"), and the last step's previous alpha 1 with
 * set_alpha_to_one, else alphas_cumprod[0].
 */
public final class DdimScheduler {
    private final NoiseSchedule schedule;
    private final int[] timesteps;
    private final int stepRatio;
    private final double finalAlphaCumprod;

    public DdimScheduler(SchedulerConfig config, int inferenceSteps) {
        this.schedule = config.noiseSchedule();
        int train = schedule.steps();
        if (inferenceSteps < 1 || inferenceSteps > train) {
            throw new IllegalArgumentException("inference steps must be in 1.." + train + ", got " + inferenceSteps);
        }
        this.stepRatio = train / inferenceSteps;
        this.finalAlphaCumprod = config.setAlphaToOne() ? 1.0 : schedule.alphaCumprod(0);
        timesteps = new int[inferenceSteps];
        for (int i = 0; i < inferenceSteps; i++) {
            int k = inferenceSteps - 1 - i; // diffusers builds ascending, then reverses
            timesteps[i] = switch (config.timestepSpacing()) {
                case "leading" -> k * stepRatio + config.stepsOffset();
                case "trailing" -> (int) Math.rint(train - (inferenceSteps - 1 - k) * (double) train / inferenceSteps) - 1; // numpy rounds half to even
                default -> (int) Math.rint(k * (train - 1) / (double) Math.max(1, inferenceSteps - 1)); // linspace
            };
        }
    }

    public int[] timesteps() {
        return timesteps.clone();
    }

    /** diffusers' DDIMSchedulerOutput: the sample at the previous timestep and the predicted clean sample x0. */
    public record Step(NDArray prevSample, NDArray predOriginalSample) {}

    /** One deterministic DDIM update x_t → x_{t-ratio} from the predicted noise (eta 0): the previous sample. */
    public NDArray step(NDArray eps, int t, NDArray sample) {
        return stepWithPrediction(eps, t, sample).prevSample();
    }

    /** One DDIM update, with the predicted clean sample as diffusers' {@code step(...).pred_original_sample}. */
    public Step stepWithPrediction(NDArray eps, int t, NDArray sample) {
        double alpha = schedule.alphaCumprod(t);
        int prev = t - stepRatio;
        double alphaPrev = prev >= 0 ? schedule.alphaCumprod(prev) : finalAlphaCumprod;
        NDArray x0 = Scalars.div(sample.sub(Scalars.mul(eps, (float) Math.sqrt(1 - alpha))), (float) Math.sqrt(alpha));
        return new Step(Scalars.mul(x0, (float) Math.sqrt(alphaPrev)).add(Scalars.mul(eps, (float) Math.sqrt(1 - alphaPrev))), x0);
    }
}
