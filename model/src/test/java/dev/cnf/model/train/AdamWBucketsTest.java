package dev.cnf.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.cnf.model.io.Tensor;
import com.sun.jna.Platform;
import dev.cnf.model.nn.GradMode;
import dev.cnf.model.nn.LibtorchOps;
import dev.cnf.model.nn.Scalars;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bucketed AdamW gives bit for bit what torch's single-tensor AdamW loop gives (restated here per tensor, with
 * torch's operation order; NnSemanticsTest checks the values against torch itself), however the parameters fall into
 * buckets, and its state restores into an optimizer with other buckets. Where libtorch's fused AdamW kernel runs (the
 * default, {@link LibtorchOps#adamW}) it agrees with the same loop to float32 rounding.
 */
class AdamWBucketsTest {
    private static final long[][] SHAPES = {{3, 4}, {5}, {2, 3, 3}, {7}, {1}, {4, 4}, {30}};
    private static final double LR = 0.01;
    private static final double WEIGHT_DECAY = 0.01;

    @Test
    void bucketsChangeNothingAgainstAPerTensorLoop() throws Exception {
        try (NDManager m = NDManager.newBaseManager("PyTorch"); AutoCloseable composed = LibtorchOps.composedOnThisThread()) {
            GradMode.disableOnThisThread();
            List<float[]> reference = run(m, null, 5, 0);
            // 20 values: several buckets, and the 30-value tensor alone in one larger than that
            for (long bucket : new long[] {AdamW.BUCKET_ELEMENTS, 20, 1}) {
                List<float[]> bucketed = run(m, bucket, 5, 0);
                for (int i = 0; i < SHAPES.length; i++) {
                    assertArrayEquals(reference.get(i), bucketed.get(i), 0f, "parameter " + i + ", buckets of " + bucket);
                }
            }
        }
    }

    /**
     * libtorch's fused kernel: the same formula in another order of float32 operations, so within a few units in the
     * last place of the loop's values (about 1e-7 here) after five steps, not bit for bit; a wrong bias correction,
     * decay or moment is off by 1e-4 and more.
     */
    @Test
    void theFusedKernelAgreesWithAPerTensorLoop() {
        if (Platform.isLinux() && Platform.isIntel() && Platform.is64Bit()) {
            assertTrue(LibtorchOps.available(), "libtorch's fused kernels are found on Linux x86-64");
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            GradMode.disableOnThisThread();
            List<float[]> reference = run(m, null, 5, 0);
            for (long bucket : new long[] {AdamW.BUCKET_ELEMENTS, 20}) {
                List<float[]> fused = run(m, bucket, 5, 0);
                for (int i = 0; i < SHAPES.length; i++) {
                    assertArrayEquals(reference.get(i), fused.get(i), 2e-6f, "parameter " + i + ", buckets of " + bucket);
                }
            }
        }
    }

    @Test
    void stateSavedFromOneBucketingRestoresIntoAnother() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            GradMode.disableOnThisThread();
            Map<String, Parameter> params = parameters(m);
            AdamW first = new AdamW(params, m, 0.9, 0.999, 1e-8, WEIGHT_DECAY, 20);
            Map<Parameter, NDArray> grads = new HashMap<>();
            SplittableRandom rng = new SplittableRandom(7);
            for (int t = 0; t < 2; t++) {
                fillGradients(m, params, grads, rng);
                first.step(LR, grads::get);
            }
            Map<String, Tensor> state = first.state();
            assertEquals(2 * SHAPES.length, state.size());
            AdamW second = new AdamW(params, m, 0.9, 0.999, 1e-8, WEIGHT_DECAY, 1000);
            second.restore(state, first.stepCount());
            Map<String, Tensor> again = second.state();
            for (String key : state.keySet()) {
                assertArrayEquals(state.get(key).data(), again.get(key).data(), 0f, key);
                assertArrayEquals(state.get(key).shape(), again.get(key).shape(), key);
            }
            Map<String, Tensor> missing = new LinkedHashMap<>(state);
            missing.remove("exp_avg_sq.p3");
            assertThrows(IllegalArgumentException.class, () -> second.restore(missing, 2), "a missing moment is named");
        }
    }

    /** The parameters' values after {@code steps} steps from fixed values and gradients; a null bucket runs the per-tensor loop. */
    private static List<float[]> run(NDManager m, Long bucket, int steps, long seed) {
        Map<String, Parameter> params = parameters(m);
        Map<Parameter, NDArray> grads = new HashMap<>();
        SplittableRandom rng = new SplittableRandom(seed + 1);
        AdamW opt = bucket == null ? null : new AdamW(params, m, 0.9, 0.999, 1e-8, WEIGHT_DECAY, bucket);
        Map<Parameter, NDArray[]> moments = new HashMap<>();
        for (int t = 1; t <= steps; t++) {
            fillGradients(m, params, grads, rng);
            if (opt != null) {
                opt.step(LR, grads::get);
            } else {
                perTensorStep(m, params, grads, moments, t);
            }
        }
        List<float[]> out = new ArrayList<>();
        params.values().forEach(p -> out.add(p.getArray().toFloatArray()));
        return out;
    }

    /** torch.optim.AdamW's _single_tensor_adamw, float32, one tensor at a time. */
    private static void perTensorStep(NDManager m, Map<String, Parameter> params, Map<Parameter, NDArray> grads,
                                      Map<Parameter, NDArray[]> moments, int t) {
        double bc1 = 1 - Math.pow(0.9, t);
        double bc2 = 1 - Math.pow(0.999, t);
        for (Parameter p : params.values()) {
            NDArray w = p.getArray();
            NDArray g = grads.get(p);
            NDArray[] mv = moments.computeIfAbsent(p, k -> new NDArray[] {m.zeros(w.getShape()), m.zeros(w.getShape())});
            Scalars.muli(w, (float) (1 - LR * WEIGHT_DECAY));
            Scalars.muli(mv[0], 0.9f).addi(Scalars.mul(g, (float) (1 - 0.9)));
            Scalars.muli(mv[1], 0.999f).addi(Scalars.muli(g.square(), (float) (1 - 0.999)));
            NDArray denom = Scalars.addi(Scalars.divi(mv[1].sqrt(), (float) Math.sqrt(bc2)), 1e-8f);
            w.subi(Scalars.muli(mv[0].div(denom), (float) (LR / bc1)));
        }
    }

    private static Map<String, Parameter> parameters(NDManager m) {
        SplittableRandom rng = new SplittableRandom(3);
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (int i = 0; i < SHAPES.length; i++) {
            Shape shape = new Shape(SHAPES[i]);
            float[] values = new float[(int) shape.size()];
            for (int k = 0; k < values.length; k++) {
                values[k] = (float) rng.nextGaussian();
            }
            params.put("p" + i, Parameter.builder().setName("p" + i).setType(Parameter.Type.OTHER).optArray(m.create(values, shape)).build());
        }
        return params;
    }

    /** Gradients of every size and sign, new each step: both moments and both bias corrections move the result. */
    private static void fillGradients(NDManager m, Map<String, Parameter> params, Map<Parameter, NDArray> grads, SplittableRandom rng) {
        for (Parameter p : params.values()) {
            float[] g = new float[(int) p.getArray().size()];
            for (int k = 0; k < g.length; k++) {
                g[k] = (float) (rng.nextGaussian() * Math.exp(rng.nextGaussian() * 3));
            }
            grads.put(p, m.create(g, p.getArray().getShape()));
        }
    }
}
