package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** Activations DJL 0.36 lacks under the names diffusers and transformers use. */
public final class Functional {
    private Functional() {}

    /** SiLU / swish-1: x · sigmoid(x). */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /** GELU with the exact erf form, torch.nn.functional.gelu's default. */
    public static NDArray gelu(NDArray x) {
        return Scalars.mul(x.mul(Scalars.add(Scalars.mul(x, (float) (1 / Math.sqrt(2))).erf(), 1f)), 0.5f);
    }

    /** CLIP's quick_gelu: x · sigmoid(1.702 x). */
    public static NDArray quickGelu(NDArray x) {
        return x.mul(Activation.sigmoid(Scalars.mul(x, 1.702f)));
    }
}
