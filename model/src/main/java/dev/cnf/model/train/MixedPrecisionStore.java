package dev.cnf.model.train;

import dev.cnf.model.BaseModel;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Mixed-precision training of float32 weights (a ControlNet) inside a model that computes in a half type (a base
 * cast with {@link BaseModel#castTo}): the usual recipe's float32 master weights. During a micro-batch every trainable
 * weight is used as a half-precision leaf copy, so the forward and backward run in the half type and the weight
 * gradients land on the copies; {@link #flushGradients} then adds them, in float32, to one float32 gradient buffer per
 * weight, which clipping and AdamW read. Weights, optimizer moments and checkpoints stay float32.
 *
 * <p>A copy rather than a cast per op because DJL's cast ({@code toType}) records no gradient: a cast weight would
 * never be trained.
 */
final class MixedPrecisionStore extends ParameterStore {
    private final DataType compute;
    private final Map<Parameter, NDArray> gradients = new IdentityHashMap<>();
    private final Map<Parameter, NDArray> working = new IdentityHashMap<>();

    MixedPrecisionStore(NDManager manager, DataType compute, Collection<Parameter> trainable) {
        super(manager, false);
        this.compute = compute;
        for (Parameter p : trainable) {
            gradients.put(p, manager.zeros(p.getArray().getShape(), DataType.FLOAT32));
        }
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        NDArray value = super.getValue(parameter, device, training);
        if (!training || !gradients.containsKey(parameter) || value.getDataType() == compute) {
            return value;
        }
        return working.computeIfAbsent(parameter, p -> {
            NDArray copy = value.toType(compute, true);
            copy.setRequiresGradient(true);
            return copy;
        });
    }

    /** Moves the micro-batch's gradients from the half-precision copies into the float32 buffers and frees the copies. */
    void flushGradients() {
        for (Map.Entry<Parameter, NDArray> e : working.entrySet()) {
            try (NDArray half = e.getValue().getGradient(); NDArray full = half.toType(DataType.FLOAT32, false)) {
                gradients.get(e.getKey()).addi(full);
            }
        }
        discardCopies();
    }

    /**
     * Drops copies a micro-batch left behind when it failed before {@link #flushGradients} (they may already be
     * closed with the step's scope), so the next forward pass makes fresh ones.
     */
    void discardCopies() {
        working.values().forEach(NDArray::close);
        working.clear();
    }

    /** The float32 gradient of a trainable weight, accumulated over the step's micro-batches. */
    NDArray gradient(Parameter p) {
        return gradients.get(p);
    }
}
