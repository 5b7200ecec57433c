package dev.cnf.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.config.UNetConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.OriginalCheckpoint;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Weights;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.unet.UNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
                Path controlnet = dir.resolve(preset + "-controlnet");
                ControlNet cn = new ControlNet(sd.controlnet());
                folders.add(write(controlnet, sd.controlnet().toJson(), cn, m));
                // the same weights in the original layout, as publish writes control_<name>.safetensors
                Files.write(controlnet.resolve("control.safetensors"), Safetensors.write(
                        OriginalCheckpoint.controlNetToOriginal(Weights.export(cn), sd.controlnet()), Map.of()));
                folders.add(write(dir.resolve(preset + "-unet"), sd.unet().toJson(), new UNet(sd.unet()), m));
            }
            ControlNetConfig paper = StableDiffusionConfig.tinySd().controlnet().withHintEncoder("paper");
            folders.add(write(dir.resolve("tiny-sd-paper-controlnet"), paper.toJson(), new ControlNet(paper), m));
            ModelConfig tiny = ModelConfig.tiny();
            folders.add(write(dir.resolve("tiny-controlnet"), tiny.controlNet().toJson(), new ControlNet(tiny), m));
            folders.add(write(dir.resolve("tiny-unet"), tiny.unet().toJson(), new UNet(tiny.unet()), m));
        }
        String out = Oracles.run("diffusers_load_check.py", folders.toArray(String[]::new));
        JsonNode result = new ObjectMapper().readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());

        for (String name : List.of("tiny-sd-controlnet", "tiny-sd-unet", "mid-sd-controlnet", "mid-sd-unet")) {
            JsonNode r = result.get(name);
            assertEquals("{\"unused_config\":[],\"missing\":[],\"unexpected\":[],\"mismatched\":[]}",
                    "{\"unused_config\":" + r.get("unused_config") + ",\"missing\":" + r.get("missing") + ",\"unexpected\":" + r.get("unexpected")
                            + ",\"mismatched\":" + r.get("mismatched") + "}",
                    name + ": diffusers builds it from our config.json and loads every weight, strictly");
        }
        // The original layout: diffusers' single-file loader reads SD's hint encoder (16/32/96/256, as mid-sd and sd15
        // have); it places conv_out at input_hint_block.14, SD's position, so tiny-sd's smaller hint encoder (8/16/32, conv_out
        // at input_hint_block.10) is beyond it.
        assertEquals("same weights", result.get("mid-sd-controlnet").get("single_file").asText());
        assertTrue(result.get("tiny-sd-controlnet").get("single_file").asText().startsWith("NotImplementedError"),
                "diffusers' converter cannot place tiny-sd's hint encoder: " + result.get("tiny-sd-controlnet"));
        // The paper's hint encoder: diffusers ignores its two config keys, builds its own encoder and refuses exactly the
        // weights the model card names (other shapes under the same names, or names it lacks); it misses its own extra block.
        JsonNode p = result.get("tiny-sd-paper-controlnet");
        assertEquals("[\"cnf_hint_downsampling\",\"cnf_hint_encoder\"]", p.get("unused_config").toString());
        List<String> refused = new ArrayList<>(new ObjectMapper().convertValue(p.get("mismatched"), List.class));
        refused.addAll(new ObjectMapper().convertValue(p.get("unexpected"), List.class));
        assertEquals(new ControlNet(StableDiffusionConfig.tinySd().controlnet().withHintEncoder("paper")).parametersDiffusersCannotLoad(),
                refused.stream().sorted().toList(), "refused by diffusers: " + p);
        for (JsonNode missing : p.get("missing")) {
            assertTrue(missing.asText().startsWith("controlnet_cond_embedding."), "only diffusers' own encoder lacks weights: " + p);
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
