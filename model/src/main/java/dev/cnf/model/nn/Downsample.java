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
            Shape s = x.getShape();
            x = x.concat(x.getManager().zeros(new Shape(s.get(0), s.get(1), 1, s.get(3)), x.getDataType()), 2);
            x = x.concat(x.getManager().zeros(new Shape(s.get(0), s.get(1), s.get(2) + 1, 1), x.getDataType()), 3);
        }
        return new NDList(conv.apply(ps, x, training));
    }
}
