package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** Activations DJL 0.36 lacks under the names diffusers uses. */
public final class Functional {
    private Functional() {}

    /** SiLU / swish-1: x · sigmoid(x). */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }
}
