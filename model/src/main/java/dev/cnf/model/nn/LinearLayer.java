package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** Fully connected layer with PyTorch's weight layout (out, in); the bias is optional as in attention projections. */
public final class LinearLayer extends NamedBlock {
    private final Parameter weight;
    private final Parameter bias;

    public LinearLayer(int in, int out) {
        this(in, out, true);
    }

    public LinearLayer(int in, int out, boolean withBias) {
        weight = param("weight", new Shape(out, in), Init.UNIFORM_FAN_IN, in);
        bias = withBias ? param("bias", new Shape(out), Init.UNIFORM_FAN_IN, in) : null;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        observed(inputs);
        NDArray x = inputs.singletonOrThrow();
        return Linear.linear(x, value(ps, weight, x, training), bias == null ? null : value(ps, bias, x, training));
    }
}
