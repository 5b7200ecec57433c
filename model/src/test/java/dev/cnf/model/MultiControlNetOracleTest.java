package dev.cnf.model;

import ai.djl.ndarray.NDManager;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.DiffusersFolder;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.pipelines.ControlNetSampler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Multi-ControlNet composition against diffusers itself: two ControlNets with random weights (their zero convolutions
 * too, so both add residuals), each with its own condition image and scale, sampled by cnf's ControlNetSampler and by
 * diffusers' StableDiffusionControlNetPipeline with a list of ControlNetModels (its MultiControlNetModel), on the same
 * tiny-sd base folder, prompt and initial latents, 20 DDIM steps, CFG 9.0.
 */
class MultiControlNetOracleTest {
    static final int SIZE = 64;

    @Test
    void twoControlNetsPaintWhatDiffusersMultiControlNetModelPaints(@TempDir Path dir) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Path baseFolder = TinySdFolder.write(dir.resolve("base"), 31);
        float[] circle = condition((x, y) -> Math.abs(Math.hypot(x - 30, y - 34) - 17) < 1);
        float[] bars = condition((x, y) -> x % 16 < 2 || y > 50);
        float[] scales = {0.7f, 0.4f};
        SplittableRandom random = new SplittableRandom(12);
        float[] latents = new float[4 * 16 * 16]; // tiny-sd's VAE halves three times: 64 px are 16x16 latents
        for (int i = 0; i < latents.length; i++) {
            latents[i] = (float) random.nextGaussian();
        }
        String prompt = "a bright red circle on a plain white background";
        ControlNetSampler.Settings settings = new ControlNetSampler.Settings(20, 9f, 1f, 0);

        float[] ours;
        float[] firstAlone;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            BaseModel base = BaseModel.fromDiffusers(baseFolder, SIZE, m);
            ControlNet a = TinyModelTest.randomControlNet(base, m, 41);
            ControlNet b = TinyModelTest.randomControlNet(base, m, 42);
            DiffusersFolder.save(a, base.controlNetConfig().toJson(), dir.resolve("a"));
            DiffusersFolder.save(b, base.controlNetConfig().toJson(), dir.resolve("b"));
            ControlNetSampler sampler = new ControlNetSampler(base, null);
            ours = sampler.sampleControlled(m, List.of(prompt), List.of(new ControlNetSampler.Control(a, List.of(circle), scales[0]),
                    new ControlNetSampler.Control(b, List.of(bars), scales[1])), settings, latents).get(0);
            firstAlone = sampler.sampleControlled(m, List.of(prompt), List.of(new ControlNetSampler.Control(a, List.of(circle), scales[0])),
                    settings, latents).get(0);
        }

        Map<String, Tensor> io = new LinkedHashMap<>();
        io.put("in.latents", new Tensor(new long[] {1, 4, 16, 16}, latents));
        io.put("in.condition.0", new Tensor(new long[] {1, 3, SIZE, SIZE}, circle));
        io.put("in.condition.1", new Tensor(new long[] {1, 3, SIZE, SIZE}, bars));
        Files.write(dir.resolve("io.safetensors"), Safetensors.write(io, Map.of()));
        Oracles.run("diffusers_pipeline_check.py", baseFolder.toString(), dir.resolve("a") + "," + dir.resolve("b"),
                dir.resolve("io.safetensors").toString(), dir.resolve("out.safetensors").toString(), prompt, "20", "9.0",
                scales[0] + "," + scales[1]);
        float[] theirs = Safetensors.read(Files.readAllBytes(dir.resolve("out.safetensors"))).get("out.image").data();

        double worst = DiffusersImages.maxPixelDifference(ours, theirs, SIZE);
        double secondNetsEffect = DiffusersImages.maxPixelDifference(firstAlone, theirs, SIZE);
        System.out.printf("Multi-ControlNet, cnf vs diffusers: max |difference| %.2e in [0,1] pixels (the second net moves pixels by up to %.2e)%n",
                worst, secondNetsEffect);
        assertTrue(secondNetsEffect > 1e-2, "the second ControlNet changes the image: " + secondNetsEffect);
        assertTrue(worst < 1e-4, "cnf's Multi-ControlNet and diffusers' MultiControlNetModel: max |Δ| " + worst);
    }

    interface Mask {
        boolean on(int x, int y);
    }

    /** A white-on-black condition image, CHW in [0, 1]. */
    static float[] condition(Mask mask) {
        float[] image = new float[3 * SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                if (mask.on(x, y)) {
                    for (int c = 0; c < 3; c++) {
                        image[c * SIZE * SIZE + y * SIZE + x] = 1f;
                    }
                }
            }
        }
        return image;
    }
}
