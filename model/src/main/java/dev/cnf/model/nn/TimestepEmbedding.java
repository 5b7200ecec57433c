package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Sinusoidal timestep features (flip_sin_to_cos=True, freq_shift=0 as in SD1.5) followed by
 * diffusers' TimestepEmbedding: linear_1 → SiLU → linear_2.
 */
public final class TimestepEmbedding extends NamedBlock {
    private final int featureDim;
    private final LinearLayer linear1;
    private final LinearLayer linear2;

    public TimestepEmbedding(int featureDim, int embedDim) {
        this.featureDim = featureDim;
        linear1 = child("linear_1", new LinearLayer(featureDim, embedDim));
        linear2 = child("linear_2", new LinearLayer(embedDim, embedDim));
    }

    public static NDArray sinusoidal(NDManager manager, NDArray timesteps, int dim) {
        int half = dim / 2;
        NDArray exponent = manager.arange(0, half, 1, DataType.FLOAT32).mul(-Math.log(10000.0) / half).exp();
        NDArray args = timesteps.toType(DataType.FLOAT32, false).expandDims(1).mul(exponent.expandDims(0));
        return args.cos().concat(args.sin(), 1);
    }

    /** inputs: timesteps [N] (float). */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray t = inputs.singletonOrThrow();
        NDArray features = sinusoidal(t.getManager(), t, featureDim);
        return new NDList(linear2.apply(ps, Functional.silu(linear1.apply(ps, features, training)), training));
    }

}
