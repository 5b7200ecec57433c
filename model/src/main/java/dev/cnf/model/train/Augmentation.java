package dev.cnf.model.train;

import java.util.SplittableRandom;

/**
 * Paired augmentation: the same horizontal flip and the same random crop applied to a training image and its condition,
 * so the condition keeps describing the picture. The draws are a pure function of (seed, the sample's position in the
 * training order), from their own random stream, so noise, timesteps and prompt dropout draw what they drew without
 * augmentation, and a resumed run sees the same views (the bitwise promises hold). Arithmetic is plain Java float
 * arithmetic (IEEE 754 on every JVM), so the views are the same on any CPU.
 *
 * @param flip mirror left-right with probability one half
 * @param crop a square covering {@link #MIN_CROP} to all of the side, at a uniform position, resized back to the full
 *             side bilinearly (torchvision's RandomResizedCrop with ratio 1, pixel centres aligned as its antialias-free
 *             bilinear resize has them)
 */
public record Augmentation(boolean flip, boolean crop) {
    public static final Augmentation NONE = new Augmentation(false, false);

    /** The smallest crop, as a fraction of the side. */
    public static final double MIN_CROP = 0.8;

    /** Salts the augmentation's random stream apart from the trainer's others. */
    private static final long SALT = 0x6A09E667F3BCC908L;

    public boolean any() {
        return flip || crop;
    }

    /** The pair as training sees it at {@code position} of the order: image (CHW) and condition (CHW) transformed alike. */
    public TrainingPair apply(TrainingPair pair, long seed, long position) {
        if (!any()) {
            return pair;
        }
        SplittableRandom random = new SplittableRandom(DiffusionTrainer.mix(seed ^ SALT, position));
        boolean mirrored = flip && random.nextBoolean();
        int side = side(pair.image());
        int cropSide = side, x0 = 0, y0 = 0;
        if (crop) {
            cropSide = Math.max(1, (int) Math.round(side * (MIN_CROP + (1 - MIN_CROP) * random.nextDouble())));
            x0 = random.nextInt(side - cropSide + 1);
            y0 = random.nextInt(side - cropSide + 1);
        }
        if (!mirrored && cropSide == side) {
            return pair;
        }
        return new TrainingPair(pair.row(), view(pair.image(), side, cropSide, x0, y0, mirrored),
                view(pair.condition(), side(pair.condition()), cropSide, x0, y0, mirrored), pair.caption());
    }

    private static int side(float[] chw) {
        int side = (int) Math.round(Math.sqrt(chw.length / 3.0));
        if (3 * side * side != chw.length) {
            throw new IllegalArgumentException("augmentation takes square 3-channel images, not " + chw.length + " values");
        }
        return side;
    }

    /** The crop (x0, y0, cropSide) of a square CHW image, mirrored if asked, resized bilinearly back to {@code side}. */
    static float[] view(float[] chw, int side, int cropSide, int x0, int y0, boolean mirrored) {
        float[] out = new float[chw.length];
        int plane = side * side;
        float scale = (float) cropSide / side;
        for (int y = 0; y < side; y++) {
            float sy = clamp((y + 0.5f) * scale - 0.5f, cropSide - 1);
            int ya = (int) sy, yb = Math.min(ya + 1, cropSide - 1);
            float wy = sy - ya;
            for (int x = 0; x < side; x++) {
                int ox = mirrored ? side - 1 - x : x;
                float sx = clamp((x + 0.5f) * scale - 0.5f, cropSide - 1);
                int xa = (int) sx, xb = Math.min(xa + 1, cropSide - 1);
                float wx = sx - xa;
                for (int c = 0; c < 3; c++) {
                    int base = c * plane;
                    float top = chw[base + (y0 + ya) * side + x0 + xa] * (1 - wx) + chw[base + (y0 + ya) * side + x0 + xb] * wx;
                    float bottom = chw[base + (y0 + yb) * side + x0 + xa] * (1 - wx) + chw[base + (y0 + yb) * side + x0 + xb] * wx;
                    out[base + y * side + ox] = top * (1 - wy) + bottom * wy;
                }
            }
        }
        return out;
    }

    private static float clamp(float v, int max) {
        return v < 0 ? 0 : Math.min(v, max);
    }
}
