package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * diffusers' ResnetBlock2D: norm1 → SiLU → conv1 → + time_emb_proj(SiLU(temb)) → norm2 → SiLU → conv2,
 * plus the (1x1-projected when widths differ) shortcut. The VAE's blocks have no timestep input
 * ({@code timeEmbDim == 0}: no {@code time_emb_proj}).
 */
public final class ResnetBlock extends NamedBlock {
    private final GroupNorm norm1;
    private final Conv2dLayer conv1;
    private final LinearLayer timeEmbProj;
    private final GroupNorm norm2;
    private final Conv2dLayer conv2;
    private final Conv2dLayer convShortcut;

    public ResnetBlock(int in, int out, int timeEmbDim, int groups, double eps) {
        norm1 = child("norm1", new GroupNorm(groups, in, eps));
        conv1 = child("conv1", Conv2dLayer.conv3x3(in, out));
        timeEmbProj = timeEmbDim > 0 ? child("time_emb_proj", new LinearLayer(timeEmbDim, out)) : null;
        norm2 = child("norm2", new GroupNorm(groups, out, eps));
        conv2 = child("conv2", Conv2dLayer.conv3x3(out, out));
        convShortcut = in == out ? null : child("conv_shortcut", new Conv2dLayer(in, out, 1, 1, false));
    }

    /** inputs: (hidden [N,C,H,W], temb [N,T]) or, without a time embedding, (hidden). */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray h = conv1.apply(ps, Functional.silu(norm1.apply(ps, x, training)), training);
        if (timeEmbProj != null) {
            NDArray t = timeEmbProj.apply(ps, Functional.silu(inputs.get(1)), training);
            h = h.add(t.expandDims(2).expandDims(3));
        }
        h = conv2.apply(ps, Functional.silu(norm2.apply(ps, h, training)), training);
        NDArray skip = convShortcut == null ? x : convShortcut.apply(ps, x, training);
        return new NDList(skip.add(h));
    }

    public NDArray apply(ParameterStore ps, NDArray x, NDArray temb, boolean training) {
        NDList in = temb == null ? new NDList(x) : new NDList(x, temb);
        return forward(ps, in, training, null).singletonOrThrow();
    }
}
