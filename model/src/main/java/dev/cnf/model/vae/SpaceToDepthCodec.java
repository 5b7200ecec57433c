package dev.cnf.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.cnf.model.nn.Scalars;

/**
 * STAND-IN for AutoencoderKL in the {@code tiny} preset: a parameter-free pixel unshuffle by {@code factor}, so the
 * diffusion space is smaller than the image (as with a VAE). Encoding is exact; so is decoding with a detail threshold
 * of 0. Real presets use the KL autoencoder (scaling factor 0.18215).
 *
 * <p>A model in this space predicts the pixels of each 2x2 cell as separate channels, and their small disagreements
 * show as a dotted grid in the decoded image. A VAE's decoder does not pass such noise through; this one removes it
 * by wavelet shrinkage (Donoho and Johnstone, 1994): each cell's three Haar detail coefficients (horizontal,
 * vertical, diagonal) move towards 0 by {@code detailThreshold} (soft thresholding) and the cell's mean is kept. A
 * flat region loses its grid; an edge keeps its step less the threshold.
 */
public final class SpaceToDepthCodec implements LatentCodec {
    private final int factor;
    private final float detailThreshold;

    /** @param detailThreshold soft threshold on the 2x2 Haar detail coefficients at decode, in [-1, 1] pixel units */
    public SpaceToDepthCodec(int factor, double detailThreshold) {
        if (detailThreshold < 0 || (detailThreshold > 0 && factor % 2 != 0)) {
            throw new IllegalArgumentException("detail threshold " + detailThreshold + " needs to be >= 0, and 0 for the odd factor " + factor);
        }
        this.factor = factor;
        this.detailThreshold = (float) detailThreshold;
    }

    @Override
    public int downsampling() {
        return factor;
    }

    /** A pixel unshuffle: computing it is cheaper than a round trip to the store. */
    @Override
    public boolean worthStoring() {
        return false;
    }

    /** [N,C,H,W] → [N,C·f²,H/f,W/f]. */
    @Override
    public NDArray encode(NDArray images) {
        long n = images.getShape().get(0), c = images.getShape().get(1);
        long h = images.getShape().get(2), w = images.getShape().get(3);
        int f = factor;
        return images.reshape(n, c, h / f, f, w / f, f).transpose(0, 1, 3, 5, 2, 4).reshape(n, c * f * f, h / f, w / f);
    }

    /** Inverse of {@link #encode}, then the detail shrinkage (none at threshold 0). */
    @Override
    public NDArray decode(NDArray latents) {
        long n = latents.getShape().get(0), cf = latents.getShape().get(1);
        long h = latents.getShape().get(2), w = latents.getShape().get(3);
        int f = factor;
        long c = cf / (f * f);
        NDArray images = latents.reshape(n, c, f, f, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c, h * f, w * f);
        return detailThreshold == 0 ? images : shrinkDetails(images, detailThreshold);
    }

    /**
     * Soft-thresholds the Haar detail coefficients of every 2x2 cell of {@code images} [N,C,H,W] (H, W even). With the
     * cell's pixels a b / d e: horizontal (a-b+d-e)/4, vertical (a+b-d-e)/4, diagonal (a-b-d+e)/4. Each pixel gives up
     * the clipped part of each coefficient with its sign in that coefficient's pattern, so the cell's mean is unchanged.
     * Elementwise operations only, in a fixed order: the same bits on every CPU.
     */
    static NDArray shrinkDetails(NDArray images, float threshold) {
        long n = images.getShape().get(0), c = images.getShape().get(1);
        long h = images.getShape().get(2), w = images.getShape().get(3);
        NDArray cells = images.reshape(n, c, h / 2, 2, w / 2, 2);
        NDArray a = cells.get(":, :, :, 0, :, 0"), b = cells.get(":, :, :, 0, :, 1");
        NDArray d = cells.get(":, :, :, 1, :, 0"), e = cells.get(":, :, :, 1, :, 1");
        NDArray aMinusB = a.sub(b), dMinusE = d.sub(e), aPlusB = a.add(b), dPlusE = d.add(e);
        NDArray horizontal = Scalars.clip(Scalars.mul(aMinusB.add(dMinusE), 0.25f), -threshold, threshold);
        NDArray vertical = Scalars.clip(Scalars.mul(aPlusB.sub(dPlusE), 0.25f), -threshold, threshold);
        NDArray diagonal = Scalars.clip(Scalars.mul(aMinusB.sub(dMinusE), 0.25f), -threshold, threshold);
        NDArray top = NDArrays.stack(new NDList(
                a.sub(horizontal).sub(vertical).sub(diagonal),
                b.add(horizontal).sub(vertical).add(diagonal)), 4);
        NDArray bottom = NDArrays.stack(new NDList(
                d.sub(horizontal).add(vertical).add(diagonal),
                e.add(horizontal).add(vertical).sub(diagonal)), 4);
        // [N,C,H/2,W/2,row,column] -> [N,C,H/2,row,W/2,column] -> [N,C,H,W]
        return NDArrays.stack(new NDList(top, bottom), 4).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w);
    }
}
