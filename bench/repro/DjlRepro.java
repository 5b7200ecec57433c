// Minimal DJL 0.36 repros for upstream, one file, no cnf code (run: bench/repro/run-djl.sh).
//
// 1. Scalar use-after-free: PtNDArray.mul(Number) (and add/sub/div/pow and the in-place forms) wraps the number in
//    manager.create(n), a tensor over a direct ByteBuffer, and closes it when the op returns. Autograd saved that tensor
//    for the backward pass (d(x*c)/dx = c), so after a GC the backward pass reads freed memory: x.mul(3f) gives
//    gradients like -3e38 or 1e-42 instead of 3. A scalar from manager.full(...) (libtorch-owned) is always right.
// 2. oneDNN convolution backward (PyTorch 2.7.1's oneDNN v3.7.1): on some AVX-512 AMD EPYC CPUs the float32 input
//    gradient of a convolution whose output-channel count is not a multiple of 16 is 14-85% wrong against float64.
//    Prints the relative error per case; the same in plain PyTorch: bench/repro/onednn_conv_backward.py.
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

public class DjlRepro {
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        int bad = 0;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (boolean torchOwned : new boolean[] {false, true}) {
                for (int run = 0; run < 5; run++) {
                    NDArray x = m.create(new float[] {1, 2, 3, 4});
                    x.setRequiresGradient(true);
                    try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                        NDArray y = torchOwned ? x.mul(m.full(new Shape(), 3f)) : x.mul(3f);
                        scribble();
                        gc.backward(y.sum());
                    }
                    float g = x.getGradient().getFloat(0);
                    bad += g == 3f ? 0 : 1;
                    System.out.printf("%s run %d: gradient %s (expected 3.0)%n", torchOwned ? "x.mul(manager.full(3f))" : "x.mul(3f)", run, g);
                }
            }
            int[][] cases = {{320, 4, 64}, {32, 4, 16}, {32, 12, 16}, {32, 16, 16}};
            for (int[] c : cases) {
                double[] g32 = inputGradient(m, DataType.FLOAT32, c[0], c[1], c[2]);
                double[] g64 = inputGradient(m, DataType.FLOAT64, c[0], c[1], c[2]);
                double diff = 0, norm = 0;
                for (int i = 0; i < g32.length; i++) {
                    diff += (g32[i] - g64[i]) * (g32[i] - g64[i]);
                    norm += g64[i] * g64[i];
                }
                double err = Math.sqrt(diff / norm);
                bad += err <= 1e-4 ? 0 : 1;
                System.out.printf("conv %d->%d at %dpx: float32 input gradient relative error %.1e%n", c[0], c[1], c[2], err);
            }
        }
        System.out.println(bad + " wrong");
        System.exit(bad == 0 ? 0 : 1);
    }

    static double[] inputGradient(NDManager m, DataType type, int cin, int cout, int size) {
        m.getEngine().setRandomSeed(7);
        NDArray x = m.randomNormal(new Shape(2, cin, size, size)).toType(DataType.FLOAT64, false);
        NDArray w = m.randomNormal(new Shape(cout, cin, 3, 3)).toType(DataType.FLOAT64, false);
        NDArray u = m.randomNormal(new Shape(2, cout, size, size)).toType(DataType.FLOAT64, false);
        NDArray xt = x.toType(type, true);
        NDArray wt = w.toType(type, true);
        xt.setRequiresGradient(true);
        try (GradientCollector gc = m.getEngine().newGradientCollector()) {
            NDArray y = Conv2d.conv2d(xt, wt, m.zeros(new Shape(cout), type), new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1)
                    .singletonOrThrow();
            gc.backward(y.mul(u.toType(type, false)).sum());
        }
        return xt.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** Collects garbage, then writes junk into fresh native memory so a freed buffer that is still read shows it. */
    static void scribble() {
        List<ByteBuffer> keep = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            System.gc();
            for (int i = 0; i < 256; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(4 << (i % 8));
                while (b.hasRemaining()) {
                    b.put((byte) 0x7f);
                }
                keep.add(b);
            }
        }
    }
}
