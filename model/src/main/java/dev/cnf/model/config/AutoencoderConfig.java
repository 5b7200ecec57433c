package dev.cnf.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collections;
import java.util.List;

import static dev.cnf.model.config.ConfigJson.*;

/** A diffusers {@code AutoencoderKL} (DownEncoderBlock2D / UpDecoderBlock2D throughout, as SD1.x). */
public record AutoencoderConfig(
        int sampleSize,
        int inChannels,
        int outChannels,
        int latentChannels,
        List<Integer> blockOutChannels,
        int layersPerBlock,
        int normNumGroups,
        double scalingFactor) {

    public AutoencoderConfig {
        blockOutChannels = List.copyOf(blockOutChannels);
        for (int c : blockOutChannels) {
            if (c % normNumGroups != 0) {
                throw new IllegalArgumentException("VAE config: block channels " + c + " not divisible by norm_num_groups " + normNumGroups);
            }
        }
    }

    /** Pixels per latent along each side: 2^(blocks - 1). */
    public int downsampling() {
        return 1 << (blockOutChannels.size() - 1);
    }

    /** SD1.5's VAE (vae/config.json): 128/256/512/512, 4 latent channels, scaling factor 0.18215. */
    public static AutoencoderConfig sd15() {
        return new AutoencoderConfig(512, 3, 3, 4, List.of(128, 256, 512, 512), 2, 32, 0.18215);
    }

    public static AutoencoderConfig fromJson(String json) {
        JsonNode n = parse(json, "AutoencoderKL");
        requireDefault(n, "act_fn", "silu");
        requireDefault(n, "use_quant_conv", true);
        requireDefault(n, "use_post_quant_conv", true);
        requireDefault(n, "force_upcast", true);
        List<Integer> blocks = ints(n, "block_out_channels", List.of(64));
        for (String t : strings(n, "down_block_types", Collections.nCopies(blocks.size(), "DownEncoderBlock2D"))) {
            if (!t.equals("DownEncoderBlock2D")) {
                throw new IllegalArgumentException("VAE config: down block '" + t + "' is not supported (DownEncoderBlock2D)");
            }
        }
        for (String t : strings(n, "up_block_types", Collections.nCopies(blocks.size(), "UpDecoderBlock2D"))) {
            if (!t.equals("UpDecoderBlock2D")) {
                throw new IllegalArgumentException("VAE config: up block '" + t + "' is not supported (UpDecoderBlock2D)");
            }
        }
        return new AutoencoderConfig(integer(n, "sample_size", 32), integer(n, "in_channels", 3), integer(n, "out_channels", 3),
                integer(n, "latent_channels", 4), blocks, integer(n, "layers_per_block", 1),
                integer(n, "norm_num_groups", 32), number(n, "scaling_factor", 0.18215));
    }

    public String toJson() {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("_class_name", "AutoencoderKL");
        o.put("_diffusers_version", DIFFUSERS_VERSION);
        o.put("act_fn", "silu");
        array(o, "block_out_channels", blockOutChannels);
        array(o, "down_block_types", Collections.nCopies(blockOutChannels.size(), "DownEncoderBlock2D"));
        array(o, "up_block_types", Collections.nCopies(blockOutChannels.size(), "UpDecoderBlock2D"));
        o.put("in_channels", inChannels);
        o.put("out_channels", outChannels);
        o.put("latent_channels", latentChannels);
        o.put("layers_per_block", layersPerBlock);
        o.put("norm_num_groups", normNumGroups);
        o.put("sample_size", sampleSize);
        o.put("scaling_factor", scalingFactor);
        return pretty(o);
    }
}
