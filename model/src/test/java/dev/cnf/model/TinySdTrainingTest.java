package dev.cnf.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.train.BaseModel;
import dev.cnf.model.train.DiffusionTrainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The same trainer and sampler on the Stable Diffusion architecture (tiny-sd): VAE latents, CLIP context, cross-attention. */
class TinySdTrainingTest {
    static NDManager manager;

    @BeforeAll
    static void engine() {
        System.setProperty("ai.djl.offline", "true");
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void close() {
        manager.close();
    }

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
                assertTrue(Double.isFinite(trainer.trainStep().loss()));
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
