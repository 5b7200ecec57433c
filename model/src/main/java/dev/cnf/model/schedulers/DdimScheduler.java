package dev.cnf.model.schedulers;

import ai.djl.ndarray.NDArray;
import dev.cnf.model.nn.Scalars;

/**
 * DDIM (eta = 0) as diffusers' DDIMScheduler configured for SD1.5: "leading" timestep spacing with
 * steps_offset 1, set_alpha_to_one false (the final step uses alphas_cumprod[0]).
 */
public final class DdimScheduler {
    private final NoiseSchedule schedule;
    private final int[] timesteps;
    private final int stepRatio;

    public DdimScheduler(NoiseSchedule schedule, int inferenceSteps) {
        if (inferenceSteps < 1 || inferenceSteps > schedule.steps()) {
            throw new IllegalArgumentException("inference steps must be in 1.." + schedule.steps() + ", got " + inferenceSteps);
        }
        this.schedule = schedule;
        this.stepRatio = schedule.steps() / inferenceSteps;
        timesteps = new int[inferenceSteps];
        for (int i = 0; i < inferenceSteps; i++) {
            timesteps[i] = (inferenceSteps - 1 - i) * stepRatio + 1;
        }
    }

    public int[] timesteps() {
        return timesteps.clone();
    }

    /** One deterministic DDIM update x_t → x_{t-ratio} from the predicted noise. */
    public NDArray step(NDArray eps, int t, NDArray sample) {
        double alpha = schedule.alphaCumprod(t);
        int prev = t - stepRatio;
        double alphaPrev = prev >= 0 ? schedule.alphaCumprod(prev) : schedule.alphaCumprod(0);
        NDArray x0 = Scalars.div(sample.sub(Scalars.mul(eps, (float) Math.sqrt(1 - alpha))), (float) Math.sqrt(alpha));
        return Scalars.mul(x0, (float) Math.sqrt(alphaPrev)).add(Scalars.mul(eps, (float) Math.sqrt(1 - alphaPrev)));
    }
}
