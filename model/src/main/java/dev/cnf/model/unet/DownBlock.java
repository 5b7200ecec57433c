package dev.cnf.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.nn.Downsample;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.nn.ResnetBlock;
import dev.cnf.model.nn.Transformer2D;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' DownBlock2D, or CrossAttnDownBlock2D when {@code attention} is given: {@code resnets.N}
 * (each followed by {@code attentions.N}), then an optional {@code downsamplers.0}; every output is a skip.
 */
public final class DownBlock extends NamedBlock {
    private final List<ResnetBlock> resnets = new ArrayList<>();
    private final List<Transformer2D> attentions = new ArrayList<>();
    private final Downsample downsampler;

    public DownBlock(int in, int out, int layers, boolean addDownsample, int timeEmbDim, int groups, double eps, AttentionSpec attention) {
        for (int i = 0; i < layers; i++) {
            resnets.add(child("resnets." + i, new ResnetBlock(i == 0 ? in : out, out, timeEmbDim, groups, eps)));
        }
        if (attention != null) {
            for (int i = 0; i < layers; i++) {
                attentions.add(child("attentions." + i, attention.build(out)));
            }
        }
        downsampler = addDownsample ? child("downsamplers.0", new Downsample(out)) : null;
    }

    /** Number of skip tensors this block emits. */
    public int skipCount() {
        return resnets.size() + (downsampler == null ? 0 : 1);
    }

    /** inputs: (hidden, temb[, context]); outputs: the skip tensors in order, the last being the block's output. */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = inputs.get(0);
        NDArray temb = inputs.get(1);
        NDList skips = new NDList();
        for (int i = 0; i < resnets.size(); i++) {
            h = resnets.get(i).apply(ps, h, temb, training);
            if (!attentions.isEmpty()) {
                h = attentions.get(i).forward(ps, new NDList(h, inputs.get(2)), training, null).singletonOrThrow();
            }
            skips.add(h);
        }
        if (downsampler != null) {
            h = downsampler.apply(ps, h, training);
            skips.add(h);
        }
        return skips;
    }
}
