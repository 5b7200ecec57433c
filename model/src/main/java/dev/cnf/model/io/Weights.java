package dev.cnf.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import dev.cnf.model.nn.GradMode;
import dev.cnf.model.nn.NamedBlock;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Moves weights between blocks and name → {@link Tensor} maps, failing loudly on any mismatch. */
public final class Weights {
    private Weights() {}

    public static Map<String, Tensor> export(NamedBlock block) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        block.namedParameters().forEach((name, p) -> out.put(name, toTensor(p.getArray())));
        return out;
    }

    /** A float32 copy of any floating-point array (a half-precision base exports as float32). */
    public static Tensor toTensor(NDArray array) {
        if (array.getDataType() == DataType.FLOAT32) {
            return new Tensor(array.getShape().getShape(), array.toFloatArray());
        }
        try (NDArray full = array.toType(DataType.FLOAT32, true)) {
            return new Tensor(array.getShape().getShape(), full.toFloatArray());
        }
    }

    /** Loads every parameter; missing, unexpected and wrong-shaped keys are all listed in one error. */
    public static void load(NamedBlock block, Map<String, Tensor> tensors) {
        load(block, TensorSource.of(tensors));
    }

    /**
     * Checks every name and shape first, then copies tensor by tensor (a memory-mapped file is read
     * one tensor at a time, so the weights never exist twice in full).
     */
    public static void load(NamedBlock block, TensorSource tensors) {
        GradMode.disableOnThisThread();
        Map<String, Parameter> params = block.namedParameters();
        List<String> missing = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            long[] expected = e.getValue().getArray().getShape().getShape();
            if (!tensors.names().contains(e.getKey())) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(expected, tensors.shape(e.getKey()))) {
                wrongShape.add(e.getKey() + " expected " + Arrays.toString(expected) + " got " + Arrays.toString(tensors.shape(e.getKey())));
            }
        }
        List<String> unexpected = tensors.names().stream().filter(k -> !params.containsKey(k)).sorted().toList();
        if (!missing.isEmpty() || !unexpected.isEmpty() || !wrongShape.isEmpty()) {
            throw new IllegalArgumentException("weights do not match " + block.getClass().getSimpleName()
                    + ": missing " + missing + ", unexpected " + unexpected + ", wrong shape " + wrongShape);
        }
        params.forEach((name, p) -> tensors.copyInto(name, p.getArray()));
    }
}
