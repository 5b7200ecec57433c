package dev.cnf.model;

import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.DiffusersFolder;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.text.ClipTextModel;
import dev.cnf.model.text.HashingTextEncoder;
import dev.cnf.model.unet.UNet;
import dev.cnf.model.vae.AutoencoderKL;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a preset or a diffusers folder contains: per model its class and exact parameter count,
 * computed from the config alone (no weights are read or allocated).
 */
public record ModelInfo(String config, Map<String, Part> models) {

    /** One model: its diffusers/transformers class, its parameter count, and its still-unallocated block. */
    public record Part(String className, long params, String note, NamedBlock block) {}

    public static final String PRESETS = "sd15, mid-sd, tiny-sd, tiny";

    /** @param configOrPath a preset name ({@value #PRESETS}) or a diffusers model / pipeline folder */
    public static ModelInfo of(String configOrPath) throws IOException {
        Map<String, Part> parts = new LinkedHashMap<>();
        if (configOrPath.equals("tiny")) {
            ModelConfig c = ModelConfig.tiny();
            parts.put("unet", part("UNet2DConditionModel", new UNet(c), "pooled-text stand-in conditioning, no attention"));
            parts.put("controlnet", part("ControlNetModel", new ControlNet(c), null));
            parts.put("vae", new Part("SpaceToDepthCodec", 0,
                    "STAND-IN for AutoencoderKL: 2x pixel unshuffle; decoding shrinks 2x2 detail by " + c.codecDetailThreshold(), null));
            parts.put("text_encoder", part("HashingTextEncoder", new HashingTextEncoder(c), "STAND-IN for CLIP: hashed words and bigrams"));
            return new ModelInfo("tiny", parts);
        }
        if (StableDiffusionConfig.PRESETS.contains(configOrPath)) {
            StableDiffusionConfig sd = StableDiffusionConfig.preset(configOrPath);
            parts.put("unet", part("UNet2DConditionModel", new UNet(sd.unet()), null));
            parts.put("controlnet", part("ControlNetModel", new ControlNet(sd.controlnet()), null));
            parts.put("vae", part("AutoencoderKL", new AutoencoderKL(sd.vae()), null));
            parts.put("text_encoder", part("CLIPTextModel", new ClipTextModel(sd.textEncoder()), null));
            return new ModelInfo(configOrPath, parts);
        }
        Path path = Path.of(configOrPath);
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("--config '" + configOrPath + "' is neither a preset (" + PRESETS
                    + ") nor an existing diffusers folder");
        }
        DiffusersFolder.describePipeline(path).forEach((name, c) -> parts.put(name, part(c.className(), c.block(), null)));
        return new ModelInfo(path.toString(), parts);
    }

    private static Part part(String cls, NamedBlock block, String note) {
        return new Part(cls, block.parameterCount(), note, block);
    }
}
