package dev.cnf.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.nn.ResnetBlock;

/** Middle block: {@code resnets.0} and {@code resnets.1} (the tiny preset has no mid attention yet). */
public final class MidBlock extends NamedBlock {
    private final ResnetBlock first;
    private final ResnetBlock second;

    public MidBlock(int channels, int timeEmbDim, int groups, double eps) {
        first = child("resnets.0", new ResnetBlock(channels, channels, timeEmbDim, groups, eps));
        second = child("resnets.1", new ResnetBlock(channels, channels, timeEmbDim, groups, eps));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray temb = inputs.get(1);
        NDArray h = first.apply(ps, inputs.get(0), temb, training);
        return new NDList(second.apply(ps, h, temb, training));
    }
}
