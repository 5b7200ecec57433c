package dev.cnf.model.schedulers;

/**
 * The DDPM training schedule of a {@link SchedulerConfig}: betas from beta_start to beta_end over num_train_timesteps,
 * "scaled_linear" (a linspace of square roots, squared: Stable Diffusion) or "linear", and their alphas_cumprod.
 */
public final class NoiseSchedule {
    private final double[] alphasCumprod;

    NoiseSchedule(SchedulerConfig c) {
        int steps = c.numTrainTimesteps();
        boolean scaled = "scaled_linear".equals(c.betaSchedule());
        double a = scaled ? Math.sqrt(c.betaStart()) : c.betaStart();
        double b = scaled ? Math.sqrt(c.betaEnd()) : c.betaEnd();
        alphasCumprod = new double[steps];
        double prod = 1.0;
        for (int i = 0; i < steps; i++) {
            double s = steps == 1 ? a : a + (b - a) * i / (steps - 1);
            prod *= 1.0 - (scaled ? s * s : s);
            alphasCumprod[i] = prod;
        }
    }

    /** SD1.5's schedule (scaled_linear, 0.00085 to 0.012, 1000 steps). */
    public static NoiseSchedule sd15() {
        return SchedulerConfig.sd15().noiseSchedule();
    }

    public double alphaCumprod(int t) {
        return alphasCumprod[t];
    }

    public int steps() {
        return alphasCumprod.length;
    }
}
