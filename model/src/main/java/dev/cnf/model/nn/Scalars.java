package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Arithmetic between an array and a constant, through a 0-d tensor that libtorch allocates and owns.
 *
 * <p>Why not {@code NDArray.mul(Number)} and its kin: DJL 0.36 wraps the number in a tensor over a Java direct
 * buffer and closes that tensor as soon as the op returns. Autograd keeps the tensor for the backward pass (a
 * product saves both factors), so a garbage collection between forward and backward frees memory the backward
 * pass still reads: gradients of about -1e36 or a silent collapse to 1e-11. A torch-owned scalar lives as long as
 * autograd holds it. The scalar has the Java argument's type (float → float32, double → float64), as DJL's own
 * wrapping does, so results are bit-identical to the Number overloads; a 0-d operand never changes the array's type.
 * {@code ScalarOpsGuardTest} fails the build if model code calls an NDArray method that takes a Number.
 */
public final class Scalars {
    private Scalars() {}

    /** A 0-d float32 tensor holding {@code value}, on {@code like}'s device, owned by libtorch. */
    public static NDArray of(NDArray like, float value) {
        return full(like, value, DataType.FLOAT32);
    }

    /** A 0-d float64 tensor holding {@code value}, on {@code like}'s device, owned by libtorch. */
    public static NDArray of(NDArray like, double value) {
        return full(like, value, DataType.FLOAT64);
    }

    private static NDArray full(NDArray like, double value, DataType type) {
        PtNDManager manager = (PtNDManager) like.getManager();
        return JniUtils.full(manager, new Shape(), value, type, like.getDevice(), SparseFormat.DENSE);
    }

    public static NDArray mul(NDArray x, float v) {
        try (NDArray s = of(x, v)) {
            return x.mul(s);
        }
    }

    public static NDArray mul(NDArray x, double v) {
        try (NDArray s = of(x, v)) {
            return x.mul(s);
        }
    }

    public static NDArray div(NDArray x, float v) {
        try (NDArray s = of(x, v)) {
            return x.div(s);
        }
    }

    public static NDArray add(NDArray x, float v) {
        try (NDArray s = of(x, v)) {
            return x.add(s);
        }
    }

    /** In place: {@code x *= v}. */
    public static NDArray muli(NDArray x, float v) {
        try (NDArray s = of(x, v)) {
            return x.muli(s);
        }
    }

    /** In place: {@code x /= v}. */
    public static NDArray divi(NDArray x, float v) {
        try (NDArray s = of(x, v)) {
            return x.divi(s);
        }
    }

    /** In place: {@code x += v}. */
    public static NDArray addi(NDArray x, float v) {
        try (NDArray s = of(x, v)) {
            return x.addi(s);
        }
    }

    /** torch.clamp(x, lo, hi): max then min, as clamp computes it (NaN stays NaN). */
    public static NDArray clip(NDArray x, float lo, float hi) {
        try (NDArray l = of(x, lo); NDArray h = of(x, hi); NDArray low = x.maximum(l)) {
            return low.minimum(h);
        }
    }
}
