package dev.cnf.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.nn.ResnetBlock;
import dev.cnf.model.nn.Transformer2D;
import dev.cnf.model.nn.Upsample;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' UpBlock2D, or CrossAttnUpBlock2D when {@code attention} is given: each resnet consumes
 * one skip (concatenated on channels) and is followed by its attention; then an optional upsampler.
 */
public final class UpBlock extends NamedBlock {
    private final List<ResnetBlock> resnets = new ArrayList<>();
    private final List<Transformer2D> attentions = new ArrayList<>();
    private final Upsample upsampler;

    /** @param skipChannels channels of the skips this block consumes, in the order it pops them */
    public UpBlock(int prevChannels, int out, List<Integer> skipChannels, boolean addUpsample, int timeEmbDim, int groups,
                   double eps, AttentionSpec attention) {
        int in = prevChannels;
        for (int i = 0; i < skipChannels.size(); i++) {
            resnets.add(child("resnets." + i, new ResnetBlock(in + skipChannels.get(i), out, timeEmbDim, groups, eps)));
            in = out;
        }
        if (attention != null) {
            for (int i = 0; i < skipChannels.size(); i++) {
                attentions.add(child("attentions." + i, attention.build(out)));
            }
        }
        upsampler = addUpsample ? child("upsamplers.0", new Upsample(out)) : null;
    }

    public int skipCount() {
        return resnets.size();
    }

    /** inputs: (hidden, temb, context or an empty placeholder, skips in pop order…). */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = inputs.get(0);
        NDArray temb = inputs.get(1);
        NDArray context = inputs.get(2);
        for (int i = 0; i < resnets.size(); i++) {
            h = resnets.get(i).apply(ps, h.concat(inputs.get(3 + i), 1), temb, training);
            if (!attentions.isEmpty()) {
                h = attentions.get(i).forward(ps, new NDList(h, context), training, null).singletonOrThrow();
            }
        }
        if (upsampler != null) {
            h = upsampler.apply(ps, h, training);
        }
        return new NDList(h);
    }
}
