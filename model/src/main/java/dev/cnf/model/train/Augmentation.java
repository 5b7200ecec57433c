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
 * @param crop a region of the image's aspect covering {@link #MIN_CROP} to all of each side, at a uniform position,
 *             resized back to the full size bilinearly (torchvision's RandomResizedCrop with ratio 1, pixel centres aligned as its antialias-free
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
        int w = pair.width(), h = pair.height();
        int cropW = w, cropH = h, x0 = 0, y0 = 0;
        if (crop) {
            double scale = MIN_CROP + (1 - MIN_CROP) * random.nextDouble(); // the same share of both sides: the aspect stays
            cropW = Math.max(1, (int) Math.round(w * scale));
            cropH = Math.max(1, (int) Math.round(h * scale));
            x0 = random.nextInt(w - cropW + 1);
            y0 = random.nextInt(h - cropH + 1);
        }
        if (!mirrored && cropW == w && cropH == h) {
            return pair;
        }
        Crop c = new Crop(w, h, cropW, cropH, x0, y0, mirrored);
        return new TrainingPair(pair.row(), view(pair.image(), c), view(pair.condition(), c), pair.caption(), w, h);
    }

    /** A crop of a {@code width x height} image, mirrored or not, to be resized back to the full size. */
    record Crop(int width, int height, int cropWidth, int cropHeight, int x0, int y0, boolean mirrored) {}

    /** The crop of a square CHW image, mirrored if asked, resized bilinearly back to {@code side}. */
    static float[] view(float[] chw, int side, int cropSide, int x0, int y0, boolean mirrored) {
        return view(chw, new Crop(side, side, cropSide, cropSide, x0, y0, mirrored));
    }

    /** The crop of a CHW image, mirrored if asked, resized bilinearly back to the full size. */
    static float[] view(float[] chw, Crop c) {
        int w = c.width(), h = c.height();
        float[] out = new float[chw.length];
        int plane = w * h;
        float scaleX = (float) c.cropWidth() / w;
        float scaleY = (float) c.cropHeight() / h;
        for (int y = 0; y < h; y++) {
            float sy = clamp((y + 0.5f) * scaleY - 0.5f, c.cropHeight() - 1);
            int ya = (int) sy, yb = Math.min(ya + 1, c.cropHeight() - 1);
            float wy = sy - ya;
            for (int x = 0; x < w; x++) {
                int ox = c.mirrored() ? w - 1 - x : x;
                float sx = clamp((x + 0.5f) * scaleX - 0.5f, c.cropWidth() - 1);
                int xa = (int) sx, xb = Math.min(xa + 1, c.cropWidth() - 1);
                float wx = sx - xa;
                for (int ch = 0; ch < 3; ch++) {
                    int base = ch * plane;
                    int top = base + (c.y0() + ya) * w + c.x0(), bottom = base + (c.y0() + yb) * w + c.x0();
                    float t = chw[top + xa] * (1 - wx) + chw[top + xb] * wx;
                    float b = chw[bottom + xa] * (1 - wx) + chw[bottom + xb] * wx;
                    out[base + y * w + ox] = t * (1 - wy) + b * wy;
                }
            }
        }
        return out;
    }

    private static float clamp(float v, int max) {
        return v < 0 ? 0 : Math.min(v, max);
    }
}
