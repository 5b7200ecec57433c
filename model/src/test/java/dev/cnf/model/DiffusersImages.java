package dev.cnf.model;

/** Comparing cnf's sampled images with what diffusers' pipelines return (output_type="np"). */
public final class DiffusersImages {
    private DiffusersImages() {}

    /**
     * The largest difference, in [0,1] pixels, between cnf's image (CHW in [-1, 1]) and diffusers' (HWC in [0, 1]),
     * both {@code size} x {@code size} with three channels.
     */
    public static double maxPixelDifference(float[] ours, float[] theirs, int size) {
        double worst = 0;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < size * size; i++) {
                worst = Math.max(worst, Math.abs((ours[c * size * size + i] + 1) / 2 - theirs[i * 3 + c]));
            }
        }
        return worst;
    }
}
