package dev.cnf.model.schedulers;

import ai.djl.ndarray.NDArray;
import dev.cnf.model.nn.Scalars;

/**
 * DDIM (eta = 0) as diffusers' DDIMScheduler builds it from a {@link SchedulerConfig}: timesteps by its spacing ("leading"
 * with steps_offset, as SD1.5 ships it; "trailing"; "linspace"), and the last step's previous alpha 1 with
 * set_alpha_to_one, else alphas_cumprod[0]. The model output is the noise or, under v_prediction, the velocity.
 */
public final class DdimScheduler {
    private final NoiseSchedule schedule;
    private final int[] timesteps;
    private final int stepRatio;
    private final double finalAlphaCumprod;
    private final boolean velocity;

    public DdimScheduler(SchedulerConfig config, int inferenceSteps) {
        this.schedule = config.noiseSchedule();
        int train = schedule.steps();
        if (inferenceSteps < 1 || inferenceSteps > train) {
            throw new IllegalArgumentException("inference steps must be in 1.." + train + ", got " + inferenceSteps);
        }
        this.stepRatio = train / inferenceSteps;
        this.finalAlphaCumprod = config.setAlphaToOne() ? 1.0 : schedule.alphaCumprod(0);
        this.velocity = config.predictsVelocity();
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

    /** One deterministic DDIM update x_t → x_{t-ratio} from the model's output (eta 0): the previous sample. */
    public NDArray step(NDArray modelOutput, int t, NDArray sample) {
        return stepWithPrediction(modelOutput, t, sample).prevSample();
    }

    /** One DDIM update, with the predicted clean sample as diffusers' {@code step(...).pred_original_sample}. */
    public Step stepWithPrediction(NDArray modelOutput, int t, NDArray sample) {
        double alpha = schedule.alphaCumprod(t);
        int prev = t - stepRatio;
        double alphaPrev = prev >= 0 ? schedule.alphaCumprod(prev) : finalAlphaCumprod;
        float a = (float) Math.sqrt(alpha);
        float b = (float) Math.sqrt(1 - alpha);
        NDArray x0;
        NDArray eps;
        if (velocity) { // diffusers: x0 = √ᾱ·x − √(1−ᾱ)·v, ε = √ᾱ·v + √(1−ᾱ)·x
            x0 = Scalars.mul(sample, a).sub(Scalars.mul(modelOutput, b));
            eps = Scalars.mul(modelOutput, a).add(Scalars.mul(sample, b));
        } else {
            x0 = Scalars.div(sample.sub(Scalars.mul(modelOutput, b)), a);
            eps = modelOutput;
        }
        return new Step(Scalars.mul(x0, (float) Math.sqrt(alphaPrev)).add(Scalars.mul(eps, (float) Math.sqrt(1 - alphaPrev))), x0);
    }
}
