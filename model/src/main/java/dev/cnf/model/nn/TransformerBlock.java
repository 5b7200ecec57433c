package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * diffusers' BasicTransformerBlock (layer_norm variant): self-attention, cross-attention on the
 * text context, GEGLU feed-forward; each pre-normed and added back.
 */
public final class TransformerBlock extends NamedBlock {
    private final LayerNormLayer norm1;
    private final Attention attn1;
    private final LayerNormLayer norm2;
    private final Attention attn2;
    private final LayerNormLayer norm3;
    private final FeedForward ff;

    public TransformerBlock(int dim, int heads, int headDim, int contextDim) {
        norm1 = child("norm1", new LayerNormLayer(dim, 1e-5));
        attn1 = child("attn1", new Attention(dim, dim, heads, headDim, false));
        norm2 = child("norm2", new LayerNormLayer(dim, 1e-5));
        attn2 = child("attn2", new Attention(dim, contextDim, heads, headDim, false));
        norm3 = child("norm3", new LayerNormLayer(dim, 1e-5));
        ff = child("ff", new FeedForward(dim));
    }

    /** inputs: (x [N,L,C], context [N,S,D]). */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray context = inputs.get(1);
        x = attn1.apply(ps, norm1.apply(ps, x, training), training).add(x);
        x = attn2.forward(ps, new NDList(norm2.apply(ps, x, training), context), training, null).singletonOrThrow().add(x);
        return new NDList(ff.apply(ps, norm3.apply(ps, x, training), training).add(x));
    }
}
