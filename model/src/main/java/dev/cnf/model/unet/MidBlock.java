package dev.cnf.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.nn.ResnetBlock;
import dev.cnf.model.nn.Transformer2D;

/** Middle block: {@code resnets.0}, {@code attentions.0} (UNetMidBlock2DCrossAttn only), {@code resnets.1}. */
public final class MidBlock extends NamedBlock {
    private final ResnetBlock first;
    private final Transformer2D attention;
    private final ResnetBlock second;

    public MidBlock(int channels, int timeEmbDim, int groups, double eps, AttentionSpec attentionSpec) {
        first = child("resnets.0", new ResnetBlock(channels, channels, timeEmbDim, groups, eps));
        attention = attentionSpec == null ? null : child("attentions.0", attentionSpec.build(channels));
        second = child("resnets.1", new ResnetBlock(channels, channels, timeEmbDim, groups, eps));
    }

    /** inputs: (hidden, temb[, context]). */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray temb = inputs.get(1);
        NDArray h = first.apply(ps, inputs.get(0), temb, training);
        if (attention != null) {
            h = attention.forward(ps, new NDList(h, inputs.get(2)), training, null).singletonOrThrow();
        }
        return new NDList(second.apply(ps, h, temb, training));
    }
}
