package dev.cnf.model;

import ai.djl.ndarray.NDManager;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.train.TrainingSet;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The paper's claim that zero convolutions protect the base model at the start of training: before any step the
 * wrapped model predicts exactly what its base predicts; with the joins drawn as standard Gaussian layers it does not.
 */
class ZeroConvolutionTest extends PyTorchTest {
    @Test
    void beforeTrainingTheWrappedModelIsExactlyItsBaseOnlyWithZeroConvolutions() {
        for (String preset : new String[] {"tiny", "tiny-sd"}) {
            try (NDManager m = manager.newSubManager()) {
                BaseModel base = preset.equals("tiny") ? BaseModel.initialize(TinyModelTest.CFG, m, 7)
                        : BaseModel.initialize(StableDiffusionConfig.tinySd(), TinyModelTest.CFG.sampleSize(), m, 7);
                TrainingSet data = TinyModelTest.circles(4, 3); // 64 px: both presets' image size here
                DiffusionTrainer.Options options = new DiffusionTrainer.Options(4, 1, 1e-3, 1e-2, 1.0, 0.5, 42);

                ControlNet zero = base.newControlNet(m, 8);
                DiffusionTrainer.Deviation d0 = DiffusionTrainer.controlNet(base, zero, data, options, m)
                        .baseDeviation(data.images(), data.conditions(), data.captions(), 5);
                assertEquals(0.0, d0.maxAbs(), preset + ": zero convolutions leave the base's prediction bit for bit");

                ControlNet gaussian = base.newControlNet(m, 8);
                gaussian.initializeJoinsGaussian(9);
                DiffusionTrainer.Deviation dg = DiffusionTrainer.controlNet(base, gaussian, data, options, m)
                        .baseDeviation(data.images(), data.conditions(), data.captions(), 5);
                System.out.printf("%s: step-0 deviation from the base with Gaussian joins: max %.3g, rms %.3g%n", preset, dg.maxAbs(), dg.rms());
                assertTrue(dg.rms() > 1e-3, preset + ": Gaussian joins move the prediction: " + dg);

                // only the joins changed, drawn at LeCun-normal scale; biases stay 0
                Map<String, Tensor> before = Weights.export(zero);
                Map<String, Tensor> after = Weights.export(gaussian);
                for (String name : before.keySet()) {
                    boolean join = name.startsWith("controlnet_down_blocks.") || name.startsWith("controlnet_mid_block.");
                    float[] w = after.get(name).data();
                    if (!join) {
                        assertArrayEquals(before.get(name).data(), w, 0f, name);
                    } else if (name.endsWith(".bias")) {
                        assertArrayEquals(new float[w.length], w, 0f, name);
                    } else if (w.length >= 1024) {
                        long[] shape = after.get(name).shape();
                        double var = 0;
                        for (float v : w) {
                            var += (double) v * v;
                        }
                        double std = Math.sqrt(var / w.length), expected = 1 / Math.sqrt(shape[1] * shape[2] * shape[3]);
                        assertEquals(expected, std, expected * 0.2, name + ": std of N(0, 1/fan_in)");
                    }
                }
            }
        }
    }
}
