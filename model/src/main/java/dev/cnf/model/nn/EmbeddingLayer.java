package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** torch.nn.Embedding: rows of {@code weight} [count, dim] looked up by integer ids. */
public final class EmbeddingLayer extends NamedBlock {
    private final Parameter weight;

    public EmbeddingLayer(int count, int dim) {
        weight = param("weight", new Shape(count, dim), Init.UNIFORM_FAN_IN, dim);
    }

    /** inputs: ids (any integer type, any shape); output: ids' shape + [dim]. */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow().toType(DataType.INT64, false);
        return Embedding.embedding(ids, value(ps, weight, ids, training), SparseFormat.DENSE);
    }
}
