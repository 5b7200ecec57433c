package dev.cnf.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.train.Precision;
import dev.cnf.model.vae.VaeCodec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The same trainer and sampler on the Stable Diffusion architecture (tiny-sd): VAE latents, CLIP context, cross-attention. */
class TinySdTrainingTest extends PyTorchTest {
    @Test
    void controlNetTrainsAgainstAFrozenStableDiffusionStack() {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(StableDiffusionConfig.tinySd(), 64, m, 5);
            assertEquals(16, base.latentSize());
            ControlNet cn = base.newControlNet(m, 6);
            Map<String, Tensor> unetBefore = Weights.export(base.unet());
            Map<String, Tensor> cnBefore = Weights.export(cn);
            DiffusionTrainer trainer = DiffusionTrainer.controlNet(base, cn,
                    TinyModelTest.circles(8, 2), new DiffusionTrainer.Options(4, 1, 1e-3, 1e-2, 1.0, 0.5, 9), m);
            for (int i = 0; i < 3; i++) {
                DiffusionTrainer.StepStats st = trainer.trainStep();
                assertFalse(st.skipped(), "step " + i + " was skipped as non-finite (loss " + st.loss() + ", gradient norm "
                        + st.gradNorm() + ")");
                assertTrue(st.gradNorm() > 0 && Double.isFinite(st.loss()), "a finite loss and a gradient: " + st);
            }
            assertEquals(unetBefore, Weights.export(base.unet()), "the base UNet stays frozen");
            Map<String, Tensor> cnAfter = Weights.export(cn);
            assertNotEquals(cnBefore.get("controlnet_mid_block.weight"), cnAfter.get("controlnet_mid_block.weight"),
                    "zero convolutions leave zero after the first steps");
            assertNotEquals(cnBefore.get("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"),
                    cnAfter.get("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"), "cross-attention trains");

            List<float[]> images = new ControlNetSampler(base, cn).sample(m, List.of("red circle", ""),
                    TinyModelTest.circles(2, 3).conditions(), new ControlNetSampler.Settings(3, 9.0f, 1f, 11));
            assertEquals(2, images.size());
            assertEquals(3 * 64 * 64, images.get(0).length);
        }
    }

    /**
     * Mixed precision as diffusers' train_controlnet.py runs it on a GPU: the frozen base stored in half precision, the
     * ControlNet's weights, gradients and optimizer in float32 (trained through half-precision copies), the loss in
     * float32. bfloat16 takes the same code but needs a rebuilt JNI (see bfloat16TrainsWhereItsJniIsDeclaredAndIsRefusedElsewhere).
     */
    @Test
    void float16BaseTrainsAFloat32ControlNetCloseToFullPrecision() {
        trainsCloseToFullPrecision(DataType.FLOAT16);
    }

    /**
     * The same with bfloat16 where a JNI that holds it is declared (bench/gpu/build-djl-jni.sh builds one); elsewhere
     * (DJL 0.36's own JNI aborts the JVM on a bfloat16 tensor) cnf must refuse it before casting anything.
     */
    @Test
    void bfloat16TrainsWhereItsJniIsDeclaredAndIsRefusedElsewhere() {
        if (bfloat16JniDeclared()) {
            trainsCloseToFullPrecision(DataType.BFLOAT16);
            return;
        }
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(StableDiffusionConfig.tinySd(), 64, m, 5);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> base.castTo(DataType.BFLOAT16));
            assertTrue(e.getMessage().contains("build-djl-jni.sh") && e.getMessage().contains("fp16"), e.getMessage());
            assertEquals(DataType.FLOAT32, base.computeType(), "nothing was cast");
        }
    }

    private static boolean bfloat16JniDeclared() {
        return "true".equalsIgnoreCase(System.getProperty(Precision.BF16_JNI_PROPERTY, System.getenv(Precision.BF16_JNI_ENV)));
    }

    private void trainsCloseToFullPrecision(DataType half) {
        try (NDManager m = manager.newSubManager()) {
            // the reference is the same step in float64 (a float32 reference shares float32's kernels, and was itself
            // wrong on a CPU whose oneDNN miscomputed convolution gradients: issue 18)
            BaseModel full = BaseModel.initialize(StableDiffusionConfig.tinySd(), 64, m, 5);
            full.castTo(DataType.FLOAT64);
            BaseModel mixed = BaseModel.initialize(StableDiffusionConfig.tinySd(), 64, m, 5);
            mixed.castTo(half);
            assertEquals(DataType.FLOAT64, full.computeType());
            assertEquals(half, mixed.computeType());
            assertEquals(half, mixed.textEncoder().module().weightType());
            assertEquals(half, ((VaeCodec) mixed.codec()).vae().weightType());
            ControlNet cnFull = full.newControlNet(m, 6);
            ControlNet cnMixed = mixed.newControlNet(m, 6); // its encoder copy is read from half-precision weights
            assertEquals(DataType.FLOAT32, cnMixed.weightType());
            DiffusionTrainer.Options options = new DiffusionTrainer.Options(4, 1, 1e-3, 1e-2, 1.0, 0.5, 9);
            DiffusionTrainer tFull = DiffusionTrainer.controlNet(full, cnFull, TinyModelTest.circles(8, 2), options, m);
            DiffusionTrainer tMixed = DiffusionTrainer.controlNet(mixed, cnMixed, TinyModelTest.circles(8, 2), options, m);
            Map<String, Tensor> baseBefore = Weights.export(mixed.unet());
            for (int i = 0; i < 3; i++) {
                DiffusionTrainer.StepStats f = tFull.trainStep();
                DiffusionTrainer.StepStats s = tMixed.trainStep();
                assertFalse(s.skipped());
                assertEquals(f.loss(), s.loss(), 0.01 * f.loss(), "step " + i + ": mixed-precision loss near the float64 one");
                assertEquals(f.gradNorm(), s.gradNorm(), 0.02 * f.gradNorm(), "step " + i + ": and gradients of the same size");
            }
            assertEquals(baseBefore, Weights.export(mixed.unet()), "the half-precision base stays frozen");
            assertEquals(half, mixed.computeType());
            for (var p : cnMixed.namedParameters().entrySet()) {
                assertEquals(DataType.FLOAT32, p.getValue().getArray().getDataType(), p.getKey() + " keeps float32 weights");
            }
            float[] zeroConv = cnMixed.namedParameters().get("controlnet_mid_block.weight").getArray().toFloatArray();
            float[] zeroConvFull = cnFull.namedParameters().get("controlnet_mid_block.weight").getArray().toFloatArray();
            assertTrue(maxAbs(zeroConv) > 0, "the zero convolution left zero");
            // AdamW moves each weight by about the learning rate whatever its gradient's size, so the signs of tiny gradients
            // count: bfloat16's 8-bit mantissa flips more of them than float16's 11 bits (measured 0.96 and 0.997)
            double minCosine = half == DataType.BFLOAT16 ? 0.9 : 0.98;
            assertTrue(cosine(zeroConv, zeroConvFull) > minCosine, "and moved as in float64: cosine " + cosine(zeroConv, zeroConvFull));

            var settings = new ControlNetSampler.Settings(3, 9.0f, 1f, 11);
            var conditions = TinyModelTest.circles(2, 3).conditions();
            List<float[]> imagesFull = new ControlNetSampler(full, cnFull).sample(m, List.of("red circle", ""), conditions, settings);
            List<float[]> imagesMixed = new ControlNetSampler(mixed, cnMixed).sample(m, List.of("red circle", ""), conditions, settings);
            assertEquals(3 * 64 * 64, imagesMixed.get(0).length);
            for (int i = 0; i < 2; i++) {
                assertTrue(meanAbsDiff(imagesFull.get(i), imagesMixed.get(i)) < 0.05, "sample " + i + " in " + half + " near float64: "
                        + meanAbsDiff(imagesFull.get(i), imagesMixed.get(i)));
            }
            assertThrows(IllegalStateException.class, () -> tMixed.unlockBaseAt(5, 1e-5), "no large-scale mode on a half-precision base");
        }
    }

    @Test
    void precisionNamesParse() {
        assertEquals(Precision.BF16, Precision.parse("bf16"));
        assertThrows(IllegalArgumentException.class, () -> Precision.parse("int8"));
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    private static double meanAbsDiff(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs(a[i] - b[i]);
        }
        return s / a.length;
    }

    @Test
    void promptsReachTheUNetThroughClipHiddenStates() {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(StableDiffusionConfig.tinySd(), 64, m, 5);
            NDArray text = base.textEncoder().encode(new ParameterStore(m, false), m, List.of("red circle", ""));
            assertArrayEquals(new long[] {2, 77, 32}, text.getShape().getShape());
            NDList rows = text.split(2, 0);
            assertFalse(rows.get(0).contentEquals(rows.get(1)), "different prompts, different context");
        }
    }
}
