package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** Activations under the names diffusers and transformers use, and torch's {@code contiguous}. */
public final class Functional {
    private Functional() {}

    /** SiLU / swish-1: x · sigmoid(x), libtorch's fused kernel where it runs ({@link LibtorchOps}). */
    public static NDArray silu(NDArray x) {
        NDArray fused = LibtorchOps.silu(x);
        return fused != null ? fused : x.mul(Activation.sigmoid(x));
    }

    /**
     * GELU with the exact erf form, torch.nn.functional.gelu's default: libtorch's own kernel (DJL's gelu is
     * torch::gelu with approximate "none"), one autograd node where the erf formula spelled out took five.
     */
    public static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    /** CLIP's quick_gelu: x · sigmoid(1.702 x). */
    public static NDArray quickGelu(NDArray x) {
        return x.mul(Activation.sigmoid(Scalars.mul(x, 1.702f)));
    }

    /**
     * torch's {@code x.contiguous()}, which DJL lacks: x itself (a view) when its elements already lie in row-major
     * order, else a row-major copy. Flattening a tensor that is not row-major cannot be a view, so libtorch's reshape
     * copies it; reshaping the flat copy back is a view. Recorded by autograd like any reshape.
     */
    public static NDArray contiguous(NDArray x) {
        return x.reshape(-1).reshape(x.getShape());
    }
}
