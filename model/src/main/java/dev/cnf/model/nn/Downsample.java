package dev.cnf.model.nn;

import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** diffusers' Downsample2D with use_conv: a 3x3 stride-2 conv named {@code conv}. */
public final class Downsample extends NamedBlock {
    private final Conv2dLayer conv;

    public Downsample(int channels) {
        conv = child("conv", new Conv2dLayer(channels, channels, 3, 2, false));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(conv.apply(ps, inputs.singletonOrThrow(), training));
    }
}
