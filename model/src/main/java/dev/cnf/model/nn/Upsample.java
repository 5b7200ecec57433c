package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** diffusers' Upsample2D: nearest-neighbour 2x, then a 3x3 conv named {@code conv}. */
public final class Upsample extends NamedBlock {
    private final Conv2dLayer conv;

    public Upsample(int channels) {
        conv = child("conv", Conv2dLayer.conv3x3(channels, channels));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray up = x.repeat(2, 2).repeat(3, 2);
        return new NDList(conv.apply(ps, up, training));
    }
}
