package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * diffusers' Downsample2D with use_conv: a 3x3 stride-2 conv named {@code conv}. The UNet pads 1 on
 * every side; the VAE (padding=0) pads one zero row and column at the bottom and right only.
 */
public final class Downsample extends NamedBlock {
    private final Conv2dLayer conv;
    private final boolean padBottomRight;

    public Downsample(int channels) {
        this(channels, false);
    }

    public Downsample(int channels, boolean padBottomRight) {
        this.padBottomRight = padBottomRight;
        conv = child("conv", padBottomRight ? new Conv2dLayer(channels, channels, 3, 2, 0, false)
                : new Conv2dLayer(channels, channels, 3, 2, false));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        if (padBottomRight) {
            x = x.pad(new Shape(0, 1, 0, 1), 0); // torch's F.pad order (left, right, top, bottom), one op as in diffusers
        }
        return new NDList(conv.apply(ps, x, training));
    }
}
