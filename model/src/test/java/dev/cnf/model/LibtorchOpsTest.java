package dev.cnf.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.sun.jna.Platform;
import dev.cnf.model.nn.Attention;
import dev.cnf.model.nn.Functional;
import dev.cnf.model.nn.GroupNorm;
import dev.cnf.model.nn.LibtorchOps;
import dev.cnf.model.nn.TorchOwned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/**
 * libtorch's fused silu, group_norm and scaled-dot-product attention, called through {@link LibtorchOps}, against the
 * same ops composed from DJL's (the path taken where the fused ones cannot run): outputs and the gradients of every
 * input, on random values. float64 first, where both forms agree to rounding (1e-10 relative; a wrong scale, group or
 * mask is off by far more), then float32 at 1e-5. Whole models with the fused ops are checked against float64 by
 * NumericsTest and against diffusers by DiffusersParityTest.
 */
class LibtorchOpsTest extends PyTorchTest {
    enum Precision {
        FLOAT64(DataType.FLOAT64, 1e-10), FLOAT32(DataType.FLOAT32, 1e-5);

        final DataType type;
        final double tolerance;

        Precision(DataType type, double tolerance) {
            this.type = type;
            this.tolerance = tolerance;
        }
    }

    @Test
    void fusedOpsRunOnLinuxX86() {
        entryPointsRunHere();
    }

    /**
     * Whether libtorch's entry points run on this platform: they must on Linux x86-64, where cnf ships (a failure if
     * they are not found), and nowhere else, where the tests check the documented fallback instead of skipping.
     */
    private static boolean entryPointsRunHere() {
        boolean linuxX86 = Platform.isLinux() && Platform.isIntel() && Platform.is64Bit();
        if (linuxX86) {
            assertTrue(LibtorchOps.available(), "libtorch's entry points must be found where cnf ships (Linux x86-64)");
        }
        return linuxX86;
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void siluMatchesTheComposedForm(Precision p) throws Exception {
        compare("silu", p, List.of(new Shape(2, 5, 7, 3)), in -> Functional.silu(in.get(0)));
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void groupNormMatchesTheComposedForm(Precision p) throws Exception {
        for (int[] nchwg : new int[][] {{2, 32, 8, 8, 8}, {3, 12, 5, 7, 3}, {1, 6, 4, 4, 6}}) {
            GroupNorm norm = new GroupNorm(nchwg[4], nchwg[1], 1e-5);
            norm.initializeParameters(manager, 1);
            norm.castParameters(p.type);
            Random r = new Random(nchwg[1]);
            // not the unit initialisation: a swapped or ignored weight or bias must show
            norm.namedParameters().values().forEach(par -> TorchOwned.copyInto(par.getArray(), randomValues(par.getArray().getShape(), r)));
            compare("group_norm " + java.util.Arrays.toString(nchwg), p, List.of(new Shape(nchwg[0], nchwg[1], nchwg[2], nchwg[3])),
                    in -> norm.forward(new ParameterStore(in.get(0).getManager(), false), new NDList(in.get(0)), true, null)
                            .singletonOrThrow(),
                    norm.namedParameters().values().stream().map(par -> par.getArray()).toList());
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void attentionMatchesTheComposedForm(Precision p) throws Exception {
        // self-attention with several heads, cross-attention to a shorter context, one head of the VAE's width
        compare("self-attention", p, List.of(new Shape(2, 9, 24), new Shape(2, 9, 24), new Shape(2, 9, 24)),
                in -> Attention.scaledDotProduct(in.get(0), in.get(1), in.get(2), 4, 6, null));
        compare("cross-attention", p, List.of(new Shape(2, 16, 16), new Shape(2, 5, 16), new Shape(2, 5, 16)),
                in -> Attention.scaledDotProduct(in.get(0), in.get(1), in.get(2), 2, 8, null));
        compare("one head", p, List.of(new Shape(1, 12, 40), new Shape(1, 12, 40), new Shape(1, 12, 40)),
                in -> Attention.scaledDotProduct(in.get(0), in.get(1), in.get(2), 1, 40, null));
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void causalAttentionMatchesTheComposedForm(Precision p) throws Exception {
        int length = 7;
        float[] causal = new float[length * length];
        for (int i = 0; i < length; i++) {
            java.util.Arrays.fill(causal, i * length + i + 1, (i + 1) * length, Float.NEGATIVE_INFINITY);
        }
        compare("causal self-attention", p, List.of(new Shape(3, length, 12), new Shape(3, length, 12), new Shape(3, length, 12)),
                in -> Attention.scaledDotProduct(in.get(0), in.get(1), in.get(2), 3, 4,
                        in.get(0).getManager().create(causal, new Shape(length, length))));
    }

    /** What the fused ops cannot take they hand back (null), so the caller's composed form raises DJL's own error. */
    @Test
    void inputsOutsideTheChecksAreLeftToTheComposedForm() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(2, 6, 3, 3));
            assertNull(LibtorchOps.silu(m.arange(6)), "an integer tensor");
            assertNull(LibtorchOps.groupNorm(x, 4, m.ones(new Shape(6)), m.zeros(new Shape(6)), 1e-5), "6 channels in 4 groups");
            assertNull(LibtorchOps.groupNorm(x, 3, m.ones(new Shape(5)), m.zeros(new Shape(5)), 1e-5), "a weight of the wrong width");
            assertNull(LibtorchOps.groupNorm(x, 3, m.ones(new Shape(6), DataType.FLOAT64), m.zeros(new Shape(6), DataType.FLOAT64), 1e-5),
                    "a weight of another type");
            NDArray q = m.randomNormal(new Shape(1, 2, 4, 8));
            assertNull(LibtorchOps.scaledDotProductAttention(q, m.randomNormal(new Shape(1, 2, 5, 7)), m.randomNormal(new Shape(1, 2, 5, 8)), null),
                    "keys of another head width");
            assertNull(LibtorchOps.scaledDotProductAttention(q, q, m.randomNormal(new Shape(1, 2, 3, 8)), null), "fewer values than keys");
            assertNull(LibtorchOps.scaledDotProductAttention(q, q, q, m.zeros(new Shape(3, 4))), "a mask of the wrong shape");
            assertNull(LibtorchOps.scaledDotProductAttention(q.toType(DataType.FLOAT64, false), q, q, null), "mixed types");
            GroupNorm sixInFour = new GroupNorm(4, 6, 1e-5);
            sixInFour.initializeParameters(m, 1);
            assertThrows(ai.djl.engine.EngineException.class, () -> sixInFour.forward(new ParameterStore(m, false), new NDList(x), false, null),
                    "the composed form reports it as an exception, where libtorch's own check would have ended the process");
        }
    }

    /**
     * The fused results are tensors cnf owns through DJL like any other: closing them frees their memory (a reference
     * count off by one would keep every result, here 300 x 4 MiB, or free one still in use).
     */
    @Test
    void fusedResultsAreFreedWhenClosed() throws java.io.IOException {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(1 << 20));
            long before = residentMib();
            for (int i = 0; i < 300; i++) {
                try (NDArray y = Functional.silu(x)) {
                    assertEquals(x.getShape(), y.getShape());
                }
            }
            long grown = residentMib() - before;
            assertTrue(grown < 256, "resident memory grew by " + grown + " MiB over 300 closed 4 MiB results");
        }
    }

    /**
     * A cleared gradient is none, as after torch's zero_grad(set_to_none=True): DJL reads zeros, the next backward's
     * gradient replaces it rather than adding to it, a handle taken before the clear keeps its values, and the memory
     * goes back (a reference kept by the clear would hold all 300 x 4 MiB gradients here).
     */
    @Test
    void clearedGradientsAreNoneAndTheNextBackwardTakesAFreshOne() throws java.io.IOException {
        try (NDManager m = manager.newSubManager()) {
            NDArray w = m.create(new float[] {1, 2, 3});
            w.setRequiresGradient(true);
            backward(w, m.create(new float[] {10, 20, 30}));
            backward(w, m.create(new float[] {1, 1, 1}));
            assertArrayEquals(new float[] {11, 21, 31}, w.getGradient().toFloatArray(), "without a clear, gradients add up");
            if (!entryPointsRunHere()) {
                assertFalse(LibtorchOps.clearGradient(w), "elsewhere the trainer is told to zero the gradient");
                assertArrayEquals(new float[] {11, 21, 31}, w.getGradient().toFloatArray(), "and the gradient is left as it was");
                return;
            }
            NDArray before = w.getGradient();
            assertTrue(LibtorchOps.clearGradient(w));
            assertArrayEquals(new float[] {0, 0, 0}, w.getGradient().toFloatArray(), "a cleared gradient reads as zeros");
            assertArrayEquals(new float[] {11, 21, 31}, before.toFloatArray(), "a handle taken before the clear keeps its values");
            assertTrue(LibtorchOps.clearGradient(w), "clearing a cleared gradient changes nothing");
            backward(w, m.create(new float[] {4, 5, 6}));
            assertArrayEquals(new float[] {4, 5, 6}, w.getGradient().toFloatArray(), "the next backward starts from none");

            NDArray big = m.zeros(new Shape(1 << 20));
            big.setRequiresGradient(true);
            long start = residentMib();
            for (int i = 0; i < 300; i++) {
                try (NDManager step = m.newSubManager()) {
                    backward(big, step.ones(big.getShape()));
                    assertTrue(LibtorchOps.clearGradient(big));
                }
            }
            long grown = residentMib() - start;
            assertTrue(grown < 256, "resident memory grew by " + grown + " MiB over 300 cleared 4 MiB gradients");
        }
    }

    /** backward of sum(g · w): adds g to w's gradient (the intermediates belong to g's manager). */
    private static void backward(NDArray w, NDArray g) {
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            gc.backward(g.mul(w).sum());
        }
    }

    /**
     * Transformer2D hands on row-major NCHW, as diffusers' .contiguous() does: its transposed view back from tokens is
     * channels-last, which made every later GroupNorm and convolution in the UNet run the channels-last way (convolutions
     * copied their weights on every call and their weight gradients could not be taken over by autograd).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void transformerOutputIsRowMajor(boolean linearProjection) {
        try (NDManager m = manager.newSubManager()) {
            dev.cnf.model.nn.Transformer2D t = new dev.cnf.model.nn.Transformer2D(32, 2, 1, 16, 8, linearProjection);
            t.initializeParameters(m, 3);
            NDArray out = t.forward(new ParameterStore(m, false), new NDList(m.randomNormal(new Shape(2, 32, 4, 6)),
                    m.randomNormal(new Shape(2, 5, 16))), false, null).singletonOrThrow();
            long[] rowMajor = entryPointsRunHere() ? new long[] {32 * 24, 24, 6, 1} : null; // no strides to read elsewhere
            assertArrayEquals(rowMajor, LibtorchOps.strides(out), "strides of the [2, 32, 4, 6] output");
        }
    }

    private void compare(String what, Precision p, List<Shape> shapes, Function<NDList, NDArray> op) throws Exception {
        compare(what, p, shapes, op, List.of());
    }

    /** Runs op fused and composed on the same random inputs; compares outputs and the gradients of inputs and weights. */
    private void compare(String what, Precision p, List<Shape> shapes, Function<NDList, NDArray> op, List<NDArray> weights)
            throws Exception {
        try (NDManager m = manager.newSubManager()) {
            Random r = new Random(what.hashCode());
            List<float[]> values = new ArrayList<>();
            shapes.forEach(s -> values.add(randomValues(s, r)));
            List<double[]> fused = run(m, p, shapes, values, op, weights, false);
            List<double[]> composed = run(m, p, shapes, values, op, weights, true);
            List<String> problems = new ArrayList<>();
            for (int i = 0; i < fused.size(); i++) {
                double err = NumericsTest.relativeError(fused.get(i), composed.get(i));
                if (!(err <= p.tolerance)) {
                    problems.add((i == 0 ? "output" : "gradient " + i) + ": relative error " + err);
                }
            }
            assertTrue(problems.isEmpty(), what + " in " + p + ", fused against composed: " + problems);
        }
    }

    /** The output, then the gradient of each input and weight, under a fixed random upstream gradient. */
    private List<double[]> run(NDManager parent, Precision p, List<Shape> shapes, List<float[]> values, Function<NDList, NDArray> op,
                               List<NDArray> weights, boolean composed) throws Exception {
        try (NDManager m = parent.newSubManager();
             AutoCloseable mode = composed ? LibtorchOps.composedOnThisThread() : () -> {}) {
            NDList in = new NDList();
            for (int i = 0; i < shapes.size(); i++) {
                NDArray a = m.create(values.get(i), shapes.get(i)).toType(p.type, false);
                a.setRequiresGradient(true);
                in.add(a);
            }
            List<NDArray> typedWeights = new ArrayList<>();
            for (NDArray w : weights) {
                if (w.getDataType() != p.type) {
                    throw new IllegalStateException("weights are built in the precision under test");
                }
                w.setRequiresGradient(true);
                typedWeights.add(w);
            }
            List<double[]> out = new ArrayList<>();
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray y = op.apply(in);
                NDArray upstream = m.create(randomValues(y.getShape(), new Random(11)), y.getShape()).toType(p.type, false);
                out.add(y.toType(DataType.FLOAT64, false).toDoubleArray());
                gc.backward(y.mul(upstream).sum());
            }
            for (NDArray a : in) {
                out.add(a.getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
            }
            for (NDArray w : typedWeights) {
                NDArray g = w.getGradient();
                out.add(g.toType(DataType.FLOAT64, false).toDoubleArray());
                g.subi(g); // gradients accumulate: the next run starts from zero
            }
            return out;
        }
    }

    private static float[] randomValues(Shape shape, Random r) {
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static long residentMib() throws java.io.IOException {
        long bytes = Sd15MemoryTest.status("VmRSS");
        assertTrue(bytes >= 0, "no VmRSS in /proc/self/status");
        return bytes >> 20;
    }
}
