package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * GroupNorm as torch.nn.GroupNorm: per-sample statistics over (C/G, H, W) with the biased
 * variance (inside the square root with eps), then a per-channel affine. DJL 0.36 has no GroupNorm, hence this block:
 * libtorch's group_norm through {@link LibtorchOps} where it runs, a layer norm per group otherwise.
 */
public final class GroupNorm extends NamedBlock {
    private final int groups;
    private final float eps;
    private final Parameter gamma;
    private final Parameter beta;

    public GroupNorm(int groups, int channels, double eps) {
        this.groups = groups;
        this.eps = (float) eps;
        gamma = param("weight", new Shape(channels), Init.ONES, 1);
        beta = param("bias", new Shape(channels), Init.ZEROS, 1);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        observed(inputs);
        NDArray x = inputs.singletonOrThrow();
        NDArray w = value(ps, gamma, x, training);
        NDArray b = value(ps, beta, x, training);
        NDArray fused = LibtorchOps.groupNorm(x, groups, w, b, eps);
        return new NDList(fused != null ? fused : composed(x, w, b));
    }

    /** Where libtorch's group_norm cannot run ({@link LibtorchOps}): a layer norm per group, then the affine. */
    private NDArray composed(NDArray x, NDArray weight, NDArray bias) {
        Shape shape = x.getShape();
        long n = shape.get(0);
        long c = shape.get(1);
        NDArray grouped = x.reshape(n, groups, -1);
        // Normalising each group is a layer norm over its last axis: PyTorch's fused kernel, forward and backward, instead
        // of seven elementwise ops (and their autograd nodes) per call; it costs two small unit-affine arrays.
        Shape group = new Shape(grouped.getShape().get(2));
        NDManager m = x.getManager();
        NDArray normed = LayerNorm.layerNorm(grouped, group, m.ones(group, x.getDataType()), m.zeros(group, x.getDataType()), eps)
                .singletonOrThrow().reshape(shape);
        Shape affine = new Shape(1, c, 1, 1);
        // Reshaped views would otherwise belong to the parameters' (long-lived) manager.
        NDArray w = weight.reshape(affine);
        NDArray b = bias.reshape(affine);
        w.attach(x.getManager());
        b.attach(x.getManager());
        return normed.mul(w).add(b);
    }
}
