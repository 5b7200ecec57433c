package dev.cnf.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import dev.cnf.model.nn.GradMode;
import dev.cnf.model.nn.Scalars;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An exponential moving average of weights (ema ← d·ema + (1 − d)·w after every step), as diffusers'
 * {@code EMAModel}: the average of the last ~1/(1 − decay) steps' weights samples better than the last step's,
 * whose noise at a high learning rate shows as texture in the images. As there, d warms up as
 * min(decay, (1 + n) / (10 + n)) after n updates, so the untrained initial weights do not linger in the average.
 */
public final class WeightAverage {
    private final Map<String, Parameter> params;
    private final Map<String, NDArray> average = new LinkedHashMap<>();
    private final double decay;
    private int updates;

    public WeightAverage(Map<String, Parameter> params, NDManager manager, double decay) {
        if (!(decay >= 0 && decay < 1)) {
            throw new IllegalArgumentException("EMA decay must be in [0, 1), got " + decay);
        }
        this.params = params;
        this.decay = decay;
        GradMode.disableOnThisThread();
        params.forEach((name, p) -> {
            NDArray copy = manager.zeros(p.getArray().getShape(), p.getArray().getDataType());
            copy.set(new NDIndex("..."), p.getArray());
            average.put(name, copy);
        });
    }

    /** Folds the current weights in; call after each optimizer step. */
    public void update() {
        GradMode.disableOnThisThread();
        double d = Math.min(decay, (1.0 + updates) / (10.0 + updates));
        updates++;
        params.forEach((name, p) -> {
            NDArray avg = average.get(name);
            Scalars.muli(avg, (float) d);
            try (NDArray part = Scalars.mul(p.getArray(), (float) (1 - d))) {
                avg.addi(part);
            }
        });
    }

    /** Overwrites the weights with their average (for saving or sampling). */
    public void copyToWeights() {
        GradMode.disableOnThisThread();
        params.forEach((name, p) -> p.getArray().set(new NDIndex("..."), average.get(name)));
    }
}
