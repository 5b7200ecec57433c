package dev.cnf.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.nn.Downsample;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.nn.ResnetBlock;

import java.util.ArrayList;
import java.util.List;

/** diffusers' DownBlock2D: {@code resnets.N} then an optional {@code downsamplers.0}; every output is a skip. */
public final class DownBlock extends NamedBlock {
    private final List<ResnetBlock> resnets = new ArrayList<>();
    private final Downsample downsampler;

    public DownBlock(int in, int out, int layers, boolean addDownsample, int timeEmbDim, int groups, double eps) {
        for (int i = 0; i < layers; i++) {
            resnets.add(child("resnets." + i, new ResnetBlock(i == 0 ? in : out, out, timeEmbDim, groups, eps)));
        }
        downsampler = addDownsample ? child("downsamplers.0", new Downsample(out)) : null;
    }

    /** Number of skip tensors this block emits. */
    public int skipCount() {
        return resnets.size() + (downsampler == null ? 0 : 1);
    }

    /** inputs: (hidden, temb); outputs: the skip tensors in order, the last being the block's output. */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = inputs.get(0);
        NDArray temb = inputs.get(1);
        NDList skips = new NDList();
        for (ResnetBlock r : resnets) {
            h = r.apply(ps, h, temb, training);
            skips.add(h);
        }
        if (downsampler != null) {
            h = downsampler.apply(ps, h, training);
            skips.add(h);
        }
        return skips;
    }
}
