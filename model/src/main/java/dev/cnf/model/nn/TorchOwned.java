package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import java.nio.ByteBuffer;

/**
 * Writes Java values into an existing tensor by copying them into the memory libtorch already owns.
 *
 * <p>Why not {@code NDArray.set(float[])} / {@code set(Buffer)}: on the CPU, DJL 0.36 points the tensor's storage at a
 * Java direct buffer ({@code tensor.set_(storage over the buffer)}), so a weight or optimizer moment then lives in memory
 * the Java GC frees, and every call logs PyTorch's "AutoNonVariableTypeMode is deprecated" warning. Here the values go
 * through a short-lived source tensor and an in-place copy ({@code index_put_} over the whole tensor); the target keeps
 * its own storage. {@code ScalarOpsGuardTest} fails the build if model code calls those set overloads.
 */
public final class TorchOwned {
    private static final NDIndex ALL = new NDIndex("...");

    private TorchOwned() {}

    /** Copies {@code values} (row-major, the target's element count) into {@code target}, converting to its type. */
    public static void copyInto(NDArray target, float[] values) {
        try (NDArray source = target.getManager().create(values, target.getShape())) {
            copyInto(target, source);
        }
    }

    /** Copies native-order float32 bytes (e.g. a memory-mapped safetensors slice: no Java heap copy) into {@code target}. */
    public static void copyInto(NDArray target, ByteBuffer float32) {
        try (NDArray source = target.getManager().create(float32, target.getShape(), DataType.FLOAT32)) {
            copyInto(target, source);
        }
    }

    private static void copyInto(NDArray target, NDArray source) {
        GradMode.disableOnThisThread(); // an in-place write to a weight must not be recorded
        if (source.getDataType() == target.getDataType()) {
            target.set(ALL, source);
            return;
        }
        try (NDArray cast = source.toType(target.getDataType(), true)) {
            target.set(ALL, cast);
        }
    }
}
