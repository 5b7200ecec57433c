package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** diffusers' FeedForward with GEGLU: {@code net.0.proj} (dim → 2·4dim), value · GELU(gate), {@code net.2} (4dim → dim). */
public final class FeedForward extends NamedBlock {
    private final LinearLayer proj;
    private final LinearLayer out;

    public FeedForward(int dim) {
        int inner = 4 * dim;
        proj = child("net.0.proj", new LinearLayer(dim, 2 * inner));
        out = child("net.2", new LinearLayer(inner, dim));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray projected = proj.apply(ps, inputs.singletonOrThrow(), training);
        NDList halves = projected.split(2, projected.getShape().dimension() - 1); // DJL's split takes no negative axis
        return new NDList(out.apply(ps, halves.get(0).mul(Functional.gelu(halves.get(1))), training));
    }
}
