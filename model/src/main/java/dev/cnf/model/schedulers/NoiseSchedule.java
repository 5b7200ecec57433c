package dev.cnf.model.schedulers;

/**
 * The DDPM training schedule of a {@link SchedulerConfig}: betas from beta_start to beta_end over num_train_timesteps,
 * "scaled_linear" (a linspace of square roots, squared: Stable Diffusion) or "linear", and their alphas_cumprod; with
 * rescale_betas_zero_snr, diffusers' rescale_zero_terminal_snr: √ᾱ shifted so the last is 0 and scaled so the first
 * is kept.
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
        if (c.rescaleBetasZeroSnr()) {
            double first = Math.sqrt(alphasCumprod[0]);
            double last = Math.sqrt(alphasCumprod[steps - 1]);
            for (int i = 0; i < steps; i++) {
                double root = (Math.sqrt(alphasCumprod[i]) - last) * first / (first - last);
                alphasCumprod[i] = root * root;
            }
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
