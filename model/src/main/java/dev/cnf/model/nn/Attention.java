package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * diffusers' {@code Attention}: {@code to_q}, {@code to_k}, {@code to_v}, {@code to_out.0}, multi-head
 * scaled dot-product. Self-attention when no context is given, cross-attention otherwise. With
 * {@code normGroups > 0} it is the VAE's spatial variant: {@code group_norm} first, [N,C,H,W] in and
 * out, and the input added back (residual_connection=True).
 */
public final class Attention extends NamedBlock {
    private final int heads;
    private final int headDim;
    private final GroupNorm groupNorm;
    private final LinearLayer toQ;
    private final LinearLayer toK;
    private final LinearLayer toV;
    private final LinearLayer toOut;

    public Attention(int queryDim, int contextDim, int heads, int headDim, boolean qkvBias) {
        this(queryDim, contextDim, heads, headDim, qkvBias, 0, 0);
    }

    private Attention(int queryDim, int contextDim, int heads, int headDim, boolean qkvBias, int normGroups, double normEps) {
        this.heads = heads;
        this.headDim = headDim;
        int inner = heads * headDim;
        groupNorm = normGroups > 0 ? child("group_norm", new GroupNorm(normGroups, queryDim, normEps)) : null;
        toQ = child("to_q", new LinearLayer(queryDim, inner, qkvBias));
        toK = child("to_k", new LinearLayer(contextDim, inner, qkvBias));
        toV = child("to_v", new LinearLayer(contextDim, inner, qkvBias));
        toOut = child("to_out.0", new LinearLayer(inner, queryDim, true));
    }

    /** The VAE mid-block's single-head spatial self-attention (AutoencoderKL, eps 1e-6). */
    public static Attention spatial(int channels, int normGroups) {
        return new Attention(channels, channels, 1, channels, true, normGroups, 1e-6);
    }

    /** inputs: (x [N,L,C]) or (x, context [N,S,D]); spatial variant: (x [N,C,H,W]). */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        observed(inputs);
        NDArray x = inputs.get(0);
        if (groupNorm != null) {
            Shape s = x.getShape();
            NDArray seq = groupNorm.apply(ps, x, training).reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1);
            NDArray out = attend(ps, seq, seq, training).transpose(0, 2, 1).reshape(s);
            return new NDList(out.add(x));
        }
        NDArray context = inputs.size() > 1 ? inputs.get(1) : x;
        return new NDList(attend(ps, x, context, training));
    }

    private NDArray attend(ParameterStore ps, NDArray x, NDArray context, boolean training) {
        NDArray q = toQ.apply(ps, x, training);
        NDArray k = toK.apply(ps, context, training);
        NDArray v = toV.apply(ps, context, training);
        return toOut.apply(ps, scaledDotProduct(q, k, v, heads, headDim, null), training);
    }

    /**
     * softmax(q kᵀ / √d + mask) v per head. q [N,L,H·d], k and v [N,S,H·d] → [N,L,H·d]; mask (optional) [L,S] is added to
     * the scores, e.g. -inf above the diagonal for causal attention. libtorch's fused kernel where it runs
     * ({@link LibtorchOps}), as diffusers' AttnProcessor2_0 calls it.
     */
    public static NDArray scaledDotProduct(NDArray q, NDArray k, NDArray v, int heads, int headDim, NDArray mask) {
        long n = q.getShape().get(0);
        long l = q.getShape().get(1);
        long s = k.getShape().get(1);
        NDArray kh = k.reshape(n, s, heads, headDim).transpose(0, 2, 1, 3);
        NDArray vh = v.reshape(n, s, heads, headDim).transpose(0, 2, 1, 3);
        NDArray typedMask = mask == null ? null : mask.toType(q.getDataType(), false);
        NDArray out = LibtorchOps.scaledDotProductAttention(q.reshape(n, l, heads, headDim).transpose(0, 2, 1, 3), kh, vh, typedMask);
        if (out == null) {
            // 1/√d scales q (L·d values) rather than the scores (L·S): at SD's 64×64 self-attention that is 4096×4096
            // scores per head, so one pass over them less, forward and backward
            NDArray qh = Scalars.mul(q, 1 / Math.sqrt(headDim)).reshape(n, l, heads, headDim).transpose(0, 2, 1, 3);
            NDArray scores = qh.matMul(kh.transpose(0, 1, 3, 2));
            if (typedMask != null) {
                scores = scores.add(typedMask);
            }
            out = scores.softmax(-1).matMul(vh);
        }
        return out.transpose(0, 2, 1, 3).reshape(n, l, (long) heads * headDim);
    }
}
