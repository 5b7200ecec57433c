package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Sinusoidal timestep features (diffusers' Timesteps; SD1.5: flip_sin_to_cos=True, freq_shift=0) followed by
 * diffusers' TimestepEmbedding: linear_1 → SiLU → linear_2.
 */
public final class TimestepEmbedding extends NamedBlock {
    private final int featureDim;
    private final boolean flipSinToCos;
    private final int freqShift;
    private final LinearLayer linear1;
    private final LinearLayer linear2;

    public TimestepEmbedding(int featureDim, int embedDim) {
        this(featureDim, embedDim, true, 0);
    }

    public TimestepEmbedding(int featureDim, int embedDim, boolean flipSinToCos, int freqShift) {
        this.featureDim = featureDim;
        this.flipSinToCos = flipSinToCos;
        this.freqShift = freqShift;
        linear1 = child("linear_1", new LinearLayer(featureDim, embedDim));
        linear2 = child("linear_2", new LinearLayer(embedDim, embedDim));
    }

    /** SD1.5's features: flip_sin_to_cos=True, freq_shift=0. */
    public static NDArray sinusoidal(NDManager manager, NDArray timesteps, int dim) {
        return sinusoidal(manager, timesteps, dim, true, 0);
    }

    /** diffusers' get_timestep_embedding (even dim): frequencies exp(-ln(10000)·i / (half − shift)). */
    public static NDArray sinusoidal(NDManager manager, NDArray timesteps, int dim, boolean flipSinToCos, int freqShift) {
        int half = dim / 2;
        NDArray exponent = Scalars.mul(manager.arange(0, half, 1, DataType.FLOAT32), -Math.log(10000.0) / (half - freqShift)).exp();
        NDArray args = timesteps.toType(DataType.FLOAT32, false).expandDims(1).mul(exponent.expandDims(0));
        return flipSinToCos ? args.cos().concat(args.sin(), 1) : args.sin().concat(args.cos(), 1);
    }

    /**
     * inputs: timesteps [N] (float), optionally followed by the sample, whose type the features take. As in diffusers, a
     * single timestep (0-dim or [1]) is broadcast to the sample's batch.
     */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray t = inputs.get(0);
        if (t.getShape().dimension() == 0) {
            t = t.reshape(1);
        }
        if (inputs.size() > 1 && t.size() == 1 && inputs.get(1).getShape().get(0) > 1) {
            t = t.broadcast(new ai.djl.ndarray.types.Shape(inputs.get(1).getShape().get(0)));
        }
        NDArray features = sinusoidal(t.getManager(), t, featureDim, flipSinToCos, freqShift);
        if (inputs.size() > 1) { // diffusers' t_emb.to(sample.dtype): a bfloat16 model gets bfloat16 features
            features = features.toType(inputs.get(1).getDataType(), false);
        }
        return new NDList(linear2.apply(ps, Functional.silu(linear1.apply(ps, features, training)), training));
    }

}
