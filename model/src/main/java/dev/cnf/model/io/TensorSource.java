package dev.cnf.model.io;

import java.util.Map;
import java.util.Set;

/** Named fp32 tensors that can be read one at a time, so loading never needs a second copy of every weight. */
public interface TensorSource {
    /** Tensor names in file order. */
    Set<String> names();

    long[] shape(String name);

    /** The values of one tensor, converted to fp32. */
    float[] floats(String name);

    /** Writes one tensor into an engine array of the same shape; sources backed by native memory skip the Java copy. */
    default void copyInto(String name, ai.djl.ndarray.NDArray target) {
        dev.cnf.model.nn.TorchOwned.copyInto(target, floats(name));
    }

    static TensorSource of(Map<String, Tensor> tensors) {
        return new TensorSource() {
            @Override
            public Set<String> names() {
                return tensors.keySet();
            }

            @Override
            public long[] shape(String name) {
                return tensors.get(name).shape();
            }

            @Override
            public float[] floats(String name) {
                return tensors.get(name).data();
            }
        };
    }
}
