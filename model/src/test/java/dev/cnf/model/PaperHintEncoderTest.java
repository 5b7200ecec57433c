package dev.cnf.model;

import ai.djl.ndarray.NDManager;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.OriginalCheckpoint;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.train.TrainingSet;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The paper's hint encoder as a config option: its shapes, its initialisation, its config.json, and that it trains. */
class PaperHintEncoderTest extends PyTorchTest {
    @Test
    void thePapersEncoderIsFour4x4ConvolutionsThatReachTheLatentSizeOfEveryBase() {
        for (String preset : new String[] {"tiny", "tiny-sd"}) {
            try (NDManager m = manager.newSubManager()) {
                BaseModel base = (preset.equals("tiny") ? BaseModel.initialize(TinyModelTest.CFG, m, 7)
                        : BaseModel.initialize(StableDiffusionConfig.tinySd(), TinyModelTest.CFG.sampleSize(), m, 7)).withHintEncoder("paper");
                ControlNetConfig config = base.controlNetConfig();
                ControlNet cn = base.newControlNet(m, 8);
                Map<String, Tensor> w = Weights.export(cn);
                assertArrayEquals(new long[] {16, 3, 4, 4}, w.get("controlnet_cond_embedding.conv_in.weight").shape(), preset);
                assertArrayEquals(new long[] {32, 16, 4, 4}, w.get("controlnet_cond_embedding.blocks.0.weight").shape());
                assertArrayEquals(new long[] {64, 32, 4, 4}, w.get("controlnet_cond_embedding.blocks.1.weight").shape());
                assertArrayEquals(new long[] {128, 64, 4, 4}, w.get("controlnet_cond_embedding.blocks.2.weight").shape());
                long width = config.unet().blockOutChannels().get(0);
                assertArrayEquals(new long[] {width, 128, 1, 1}, w.get("controlnet_cond_embedding.conv_out.weight").shape(), "the zero conv Z");
                assertFalse(w.containsKey("controlnet_cond_embedding.blocks.3.weight"));
                assertArrayEquals(new float[(int) (width * 128)], w.get("controlnet_cond_embedding.conv_out.weight").data(), 0f, "Z starts at zero");
                float[] first = w.get("controlnet_cond_embedding.blocks.2.weight").data();
                double var = 0;
                for (float v : first) {
                    var += (double) v * v;
                }
                double expected = Math.sqrt(2.0 / (64 * 16));
                assertEquals(expected, Math.sqrt(var / first.length), expected * 0.1, "Gaussian, He scale for the ReLUs");
                assertArrayEquals(new float[128], w.get("controlnet_cond_embedding.blocks.2.bias").data(), 0f);

                // the same downsampling as diffusers' encoder: the residuals fit (a wrong size would fail the forward pass),
                // and with Z at zero the wrapped model is still exactly its base
                assertEquals(base.withHintEncoder("diffusers").controlNetConfig().hintDownsampling(), config.hintDownsampling(), preset);
                TrainingSet data = TinyModelTest.circles(4, 3);
                DiffusionTrainer.Options options = new DiffusionTrainer.Options(4, 1, 1e-3, 1e-2, 1.0, 0.5, 42);
                DiffusionTrainer trainer = DiffusionTrainer.controlNet(base, cn, data, options, m);
                assertEquals(0.0, trainer.baseDeviation(data.images(), data.conditions(), data.captions(), 5).maxAbs(), preset);
                // it trains: after a few steps Z has learned from the encoder's (non-zero) features
                for (int i = 0; i < 3; i++) {
                    assertFalse(trainer.trainStep().skipped());
                }
                float[] z = Weights.export(cn).get("controlnet_cond_embedding.conv_out.weight").data();
                double moved = 0;
                for (float v : z) {
                    moved = Math.max(moved, Math.abs(v));
                }
                assertTrue(moved > 0, preset + ": the hint encoder's output reaches the zero conv's gradient");
                assertTrue(cn.parametersDiffusersCannotLoad().contains("controlnet_cond_embedding.conv_in.weight"), "the card names them");
            }
        }
    }

    @Test
    void configJsonNamesThePaperEncoderOnlyWhenChosen() {
        ControlNetConfig diffusers = StableDiffusionConfig.tinySd().controlnet();
        assertFalse(diffusers.toJson().contains("cnf_"), "the default's config.json is diffusers' own");
        assertEquals(diffusers.toJson(), ControlNetConfig.fromJson(diffusers.toJson()).toJson());
        ControlNetConfig paper = diffusers.withHintEncoder("paper");
        String json = paper.toJson();
        assertTrue(json.contains("\"cnf_hint_encoder\" : \"paper\"") && json.contains("\"cnf_hint_downsampling\" : 4"), json);
        ControlNetConfig read = ControlNetConfig.fromJson(json);
        assertEquals(json, read.toJson());
        assertTrue(read.paperHintEncoder());
        assertEquals(4, read.hintDownsampling());
        assertEquals(diffusers.hintDownsampling(), paper.withHintEncoder("diffusers").hintDownsampling(), "and back, downsampling alike");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OriginalCheckpoint.originalControlName("controlnet_cond_embedding.conv_in.weight", paper));
        assertTrue(e.getMessage().contains("no place in the original single-file layout"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ControlNetConfig.fromJson(json.replace("\"paper\"", "\"papers\"")));
    }
}
