package dev.cnf.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

import static dev.cnf.model.config.ConfigJson.*;

/**
 * A diffusers {@code ControlNetModel}: the encoder half of {@link #unet} plus the hint encoder
 * ({@code conditioning_embedding_out_channels}; each step after the first halves the resolution).
 *
 * @param hintEncoder      {@link #DIFFUSERS} (diffusers' and the released checkpoints' encoder: 3x3 convolutions, SiLU) or
 *                         {@link #PAPER} (the paper's text: four 4x4 convolutions, ReLU, 16/32/64/128 channels, Gaussian
 *                         weights; a cnf option that diffusers cannot load, written as {@code cnf_hint_encoder})
 * @param hintDownsampling how much the hint encoder downsamples; must equal the VAE's factor. Diffusers' encoder has one
 *                         stride-2 step per channel step ({@code 2^(steps - 1)}); the paper's puts its stride-2
 *                         convolutions last and keeps the size in the others ({@code cnf_hint_downsampling})
 */
public record ControlNetConfig(UNetConfig unet, int conditioningChannels, List<Integer> conditioningEmbeddingOutChannels, String hintEncoder,
                               int hintDownsampling) {
    public static final String DIFFUSERS = "diffusers";
    public static final String PAPER = "paper";
    public static final List<String> HINT_ENCODERS = List.of(DIFFUSERS, PAPER);
    /** The paper's hint encoder: four convolutions of these widths. */
    public static final List<Integer> PAPER_CHANNELS = List.of(16, 32, 64, 128);

    public ControlNetConfig {
        conditioningEmbeddingOutChannels = List.copyOf(conditioningEmbeddingOutChannels);
        if (conditioningEmbeddingOutChannels.isEmpty()) {
            throw new IllegalArgumentException("ControlNet config: conditioning_embedding_out_channels is empty");
        }
        if (!HINT_ENCODERS.contains(hintEncoder)) {
            throw new IllegalArgumentException("ControlNet config: cnf_hint_encoder '" + hintEncoder + "' must be one of " + HINT_ENCODERS);
        }
        int strides = Integer.numberOfTrailingZeros(hintDownsampling);
        if (hintEncoder.equals(DIFFUSERS) && hintDownsampling != 1 << (conditioningEmbeddingOutChannels.size() - 1)) {
            throw new IllegalArgumentException("ControlNet config: diffusers' hint encoder downsamples by 2^(steps - 1), not " + hintDownsampling);
        }
        if (hintEncoder.equals(PAPER) && (Integer.bitCount(hintDownsampling) != 1 || strides > conditioningEmbeddingOutChannels.size())) {
            throw new IllegalArgumentException("ControlNet config: the paper's hint encoder has " + conditioningEmbeddingOutChannels.size()
                    + " convolutions and cannot downsample by " + hintDownsampling + " (a power of two up to 2^" + conditioningEmbeddingOutChannels.size() + ")");
        }
    }

    /** Diffusers' hint encoder. */
    public ControlNetConfig(UNetConfig unet, int conditioningChannels, List<Integer> conditioningEmbeddingOutChannels) {
        this(unet, conditioningChannels, conditioningEmbeddingOutChannels, DIFFUSERS, 1 << (conditioningEmbeddingOutChannels.size() - 1));
    }

    /** The same ControlNet with the paper's hint encoder ({@code paper}) or diffusers' ({@code diffusers}), downsampling alike. */
    public ControlNetConfig withHintEncoder(String kind) {
        if (kind.equals(hintEncoder)) {
            return this;
        }
        if (kind.equals(PAPER)) {
            return new ControlNetConfig(unet, conditioningChannels, PAPER_CHANNELS, PAPER, hintDownsampling);
        }
        List<Integer> sd15 = List.of(16, 32, 96, 256);
        int steps = Integer.numberOfTrailingZeros(hintDownsampling);
        if (steps > 3) {
            throw new IllegalArgumentException("diffusers' hint encoder downsamples by at most 8, not " + hintDownsampling);
        }
        return new ControlNetConfig(unet, conditioningChannels, sd15.subList(0, steps + 1));
    }

    public boolean paperHintEncoder() {
        return hintEncoder.equals(PAPER);
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
        List<Integer> channels = ints(n, "conditioning_embedding_out_channels", List.of(16, 32, 96, 256));
        String hint = n.path("cnf_hint_encoder").asText(DIFFUSERS);
        return new ControlNetConfig(u, integer(n, "conditioning_channels", 3), channels, hint,
                hint.equals(PAPER) ? integer(n, "cnf_hint_downsampling", 8) : 1 << (channels.size() - 1));
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
        if (paperHintEncoder()) { // only then: the default's config.json stays diffusers' own
            o.put("cnf_hint_encoder", PAPER);
            o.put("cnf_hint_downsampling", hintDownsampling);
        }
        return pretty(o);
    }
}
