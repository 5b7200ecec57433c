package dev.cnf.model.schedulers;

/**
 * Stable Diffusion's DDPM training schedule: scaled_linear betas from 0.00085 to 0.012 over 1000
 * steps (linspace of square roots, squared), epsilon prediction.
 */
public final class NoiseSchedule {
    public static final int TRAIN_TIMESTEPS = 1000;
    private final double[] alphasCumprod;

    public NoiseSchedule(int steps, double betaStart, double betaEnd) {
        alphasCumprod = new double[steps];
        double a = Math.sqrt(betaStart);
        double b = Math.sqrt(betaEnd);
        double prod = 1.0;
        for (int i = 0; i < steps; i++) {
            double s = steps == 1 ? a : a + (b - a) * i / (steps - 1);
            prod *= 1.0 - s * s;
            alphasCumprod[i] = prod;
        }
    }

    public static NoiseSchedule sd15() {
        return new NoiseSchedule(TRAIN_TIMESTEPS, 0.00085, 0.012);
    }

    public double alphaCumprod(int t) {
        return alphasCumprod[t];
    }

    public int steps() {
        return alphasCumprod.length;
    }
}
