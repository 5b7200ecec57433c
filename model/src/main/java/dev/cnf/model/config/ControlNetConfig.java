package dev.cnf.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

import static dev.cnf.model.config.ConfigJson.*;

/**
 * A diffusers {@code ControlNetModel}: the encoder half of {@link #unet} plus the hint encoder
 * ({@code conditioning_embedding_out_channels}; each step after the first halves the resolution).
 */
public record ControlNetConfig(UNetConfig unet, int conditioningChannels, List<Integer> conditioningEmbeddingOutChannels) {

    public ControlNetConfig {
        conditioningEmbeddingOutChannels = List.copyOf(conditioningEmbeddingOutChannels);
        if (conditioningEmbeddingOutChannels.isEmpty()) {
            throw new IllegalArgumentException("ControlNet config: conditioning_embedding_out_channels is empty");
        }
    }

    /** How much the hint encoder downsamples: 2^(steps - 1); must equal the VAE's factor. */
    public int hintDownsampling() {
        return 1 << (conditioningEmbeddingOutChannels.size() - 1);
    }

    /** lllyasviel/sd-controlnet-* : the SD1.5 UNet's encoder, hint encoder 16/32/96/256 (512 px → 64). */
    public static ControlNetConfig sd15() {
        return new ControlNetConfig(UNetConfig.sd15(), 3, List.of(16, 32, 96, 256));
    }

    public static ControlNetConfig fromJson(String json) {
        JsonNode n = parse(json, "ControlNetModel");
        requireDefault(n, "global_pool_conditions", false);
        requireDefault(n, "controlnet_conditioning_channel_order", "rgb");
        UNetConfig u = UNetConfig.fromJson(n);
        return new ControlNetConfig(u, integer(n, "conditioning_channels", 3),
                ints(n, "conditioning_embedding_out_channels", List.of(16, 32, 96, 256)));
    }

    /** diffusers' config.json for this ControlNetModel. */
    public String toJson() {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("_class_name", "ControlNetModel");
        o.put("_diffusers_version", DIFFUSERS_VERSION);
        o.put("in_channels", unet.inChannels());
        o.put("conditioning_channels", conditioningChannels);
        array(o, "conditioning_embedding_out_channels", conditioningEmbeddingOutChannels);
        o.put("controlnet_conditioning_channel_order", "rgb");
        o.put("global_pool_conditions", false);
        unet.putShared(o);
        o.put("mid_block_type", unet.midBlockType()); // diffusers >= 0.27 reads it; without it a mid block without attention would not round-trip
        return pretty(o);
    }
}
