package dev.cnf.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.config.UNetConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Weights;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.unet.UNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every config.json cnf writes (the published ControlNet, and a large-mode version's UNet), for every preset, built by
 * diffusers itself with {@code from_config}, and the weights loaded into it (src/test/python/diffusers_load_check.py).
 * The Stable Diffusion presets load strictly, with no config key ignored. The {@code tiny} preset cannot be expressed:
 * diffusers ignores exactly {@code cnf_pooled_text_dim} and leaves out exactly the parameters
 * {@link ControlNet#parametersDiffusersCannotLoad} names (the model card lists them).
 */
class DiffusersConfigInteropTest {
    @Test
    void diffusersBuildsEveryPresetsConfigAndLoadsItsWeights(@TempDir Path dir) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        List<String> folders = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (String preset : List.of("tiny-sd", "mid-sd")) {
                StableDiffusionConfig sd = StableDiffusionConfig.preset(preset);
                folders.add(write(dir.resolve(preset + "-controlnet"), sd.controlnet().toJson(), new ControlNet(sd.controlnet()), m));
                folders.add(write(dir.resolve(preset + "-unet"), sd.unet().toJson(), new UNet(sd.unet()), m));
            }
            ModelConfig tiny = ModelConfig.tiny();
            folders.add(write(dir.resolve("tiny-controlnet"), tiny.controlNet().toJson(), new ControlNet(tiny), m));
            folders.add(write(dir.resolve("tiny-unet"), tiny.unet().toJson(), new UNet(tiny.unet()), m));
        }
        List<String> command = new ArrayList<>(List.of(ClipTokenizerOracleTest.oraclePython().toString(),
                ClipTokenizerOracleTest.ROOT.resolve("model/src/test/python/diffusers_load_check.py").toString()));
        command.addAll(folders);
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0, "diffusers_load_check ran: " + out);
        JsonNode result = new ObjectMapper().readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());

        for (String name : List.of("tiny-sd-controlnet", "tiny-sd-unet", "mid-sd-controlnet", "mid-sd-unet")) {
            assertEquals("{\"unused_config\":[],\"missing\":[],\"unexpected\":[]}", result.get(name).toString(),
                    name + ": diffusers builds it from our config.json and loads every weight, strictly");
        }
        List<String> cannotLoad = new ControlNet(ModelConfig.tiny()).parametersDiffusersCannotLoad();
        assertEquals(12, cannotLoad.size(), cannotLoad.toString());
        for (String name : List.of("tiny-controlnet", "tiny-unet")) {
            JsonNode r = result.get(name);
            assertEquals("[\"cnf_pooled_text_dim\"]", r.get("unused_config").toString(), name);
            assertEquals("[]", r.get("missing").toString(), name);
            assertEquals(cannotLoad, new ObjectMapper().convertValue(r.get("unexpected"), List.class),
                    name + ": exactly the parameters the model card names");
        }
    }

    private static String write(Path folder, String configJson, NamedBlock block, NDManager m) throws Exception {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("config.json"), configJson);
        block.initializeParameters(m, 7);
        Files.write(folder.resolve("diffusion_pytorch_model.safetensors"), Safetensors.write(Weights.export(block), Map.of()));
        return folder.toString();
    }
}
