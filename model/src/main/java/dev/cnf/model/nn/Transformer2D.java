package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' Transformer2DModel as the SD1.x UNet uses it: GroupNorm (eps 1e-6), {@code proj_in}
 * (1x1 conv, or linear with use_linear_projection), {@code transformer_blocks.N} over the H·W tokens,
 * {@code proj_out}, and the input added back.
 */
public final class Transformer2D extends NamedBlock {
    private final boolean linearProjection;
    private final GroupNorm norm;
    private final NamedBlock projIn;
    private final List<TransformerBlock> blocks = new ArrayList<>();
    private final NamedBlock projOut;

    public Transformer2D(int channels, int heads, int layers, int contextDim, int groups, boolean linearProjection) {
        this.linearProjection = linearProjection;
        int headDim = channels / heads;
        norm = child("norm", new GroupNorm(groups, channels, 1e-6));
        projIn = child("proj_in", linearProjection ? new LinearLayer(channels, channels) : new Conv2dLayer(channels, channels, 1, 1, false));
        for (int i = 0; i < layers; i++) {
            blocks.add(child("transformer_blocks." + i, new TransformerBlock(channels, heads, headDim, contextDim)));
        }
        projOut = child("proj_out", linearProjection ? new LinearLayer(channels, channels) : new Conv2dLayer(channels, channels, 1, 1, false));
    }

    /** inputs: (x [N,C,H,W], context [N,S,D]). */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray context = inputs.get(1);
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        NDArray h = norm.apply(ps, x, training);
        if (!linearProjection) {
            h = projIn.apply(ps, h, training);
        }
        h = h.reshape(n, c, -1).transpose(0, 2, 1); // [N, H·W, C]
        if (linearProjection) {
            h = projIn.apply(ps, h, training);
        }
        for (TransformerBlock b : blocks) {
            h = b.forward(ps, new NDList(h, context), training, null).singletonOrThrow();
        }
        if (linearProjection) {
            h = projOut.apply(ps, h, training);
        }
        // back to row-major NCHW, as diffusers' .contiguous(): the transposed view is channels-last, and it would make
        // every later GroupNorm take its slower channels-last kernel and every later convolution copy its weight
        h = Functional.contiguous(h.transpose(0, 2, 1).reshape(s));
        if (!linearProjection) {
            h = projOut.apply(ps, h, training);
        }
        return new NDList(h.add(x));
    }
}
