package dev.cnf.model.vae;

import ai.djl.ndarray.NDArray;

/**
 * STAND-IN for AutoencoderKL in the {@code tiny} preset: a lossless, parameter-free pixel unshuffle
 * by {@code factor}, so the diffusion space is smaller than the image (as with a VAE) while
 * decode(encode(x)) == x exactly. Real presets use the KL autoencoder (scaling factor 0.18215).
 */
public final class SpaceToDepthCodec implements LatentCodec {
    private final int factor;

    public SpaceToDepthCodec(int factor) {
        this.factor = factor;
    }

    @Override
    public int downsampling() {
        return factor;
    }

    /** [N,C,H,W] → [N,C·f²,H/f,W/f]. */
    @Override
    public NDArray encode(NDArray images) {
        long n = images.getShape().get(0), c = images.getShape().get(1);
        long h = images.getShape().get(2), w = images.getShape().get(3);
        int f = factor;
        return images.reshape(n, c, h / f, f, w / f, f).transpose(0, 1, 3, 5, 2, 4).reshape(n, c * f * f, h / f, w / f);
    }

    /** Inverse of {@link #encode}. */
    @Override
    public NDArray decode(NDArray latents) {
        long n = latents.getShape().get(0), cf = latents.getShape().get(1);
        long h = latents.getShape().get(2), w = latents.getShape().get(3);
        int f = factor;
        long c = cf / (f * f);
        return latents.reshape(n, c, f, f, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c, h * f, w * f);
    }
}
