package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** torch.nn.LayerNorm over the last dimension, with {@code weight} and {@code bias}. */
public final class LayerNormLayer extends NamedBlock {
    private final int dim;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    public LayerNormLayer(int dim, double eps) {
        this.dim = dim;
        this.eps = (float) eps;
        weight = param("weight", new Shape(dim), Init.ONES, 1);
        bias = param("bias", new Shape(dim), Init.ZEROS, 1);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        return LayerNorm.layerNorm(x, new Shape(dim), value(ps, weight, x, training), value(ps, bias, x, training), eps);
    }
}
