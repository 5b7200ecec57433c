package dev.cnf.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Set;

import static dev.cnf.model.config.ConfigJson.*;

/**
 * Shapes of a diffusers {@code UNet2DConditionModel}, field for field as its {@code config.json}
 * (only the fields that change the SD1.x family's shapes; others must have their defaults).
 *
 * <p>{@code attentionHeads} is what SD1.x's config calls {@code attention_head_dim}: diffusers
 * reads that field as the number of heads for these models, and so do we.
 * {@code pooledTextDim > 0} selects cnf's stand-in text conditioning (a pooled text vector added
 * to the timestep embedding, {@code text_embedding.*}); it is not a diffusers feature.
 */
public record UNetConfig(
        int sampleSize,
        int inChannels,
        int outChannels,
        List<Integer> blockOutChannels,
        List<String> downBlockTypes,
        List<String> upBlockTypes,
        String midBlockType,
        int layersPerBlock,
        int crossAttentionDim,
        List<Integer> attentionHeads,
        List<Integer> transformerLayersPerBlock,
        boolean useLinearProjection,
        int normNumGroups,
        double normEps,
        boolean flipSinToCos,
        int freqShift,
        int pooledTextDim) {

    public static final String CROSS_ATTN_DOWN = "CrossAttnDownBlock2D";
    public static final String DOWN = "DownBlock2D";
    public static final String CROSS_ATTN_UP = "CrossAttnUpBlock2D";
    public static final String UP = "UpBlock2D";
    public static final String MID_CROSS_ATTN = "UNetMidBlock2DCrossAttn";
    public static final String MID_PLAIN = "UNetMidBlock2D";

    public UNetConfig {
        blockOutChannels = List.copyOf(blockOutChannels);
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        attentionHeads = List.copyOf(attentionHeads);
        transformerLayersPerBlock = List.copyOf(transformerLayersPerBlock);
        int n = blockOutChannels.size();
        if (downBlockTypes.size() != n || upBlockTypes.size() != n || attentionHeads.size() != n || transformerLayersPerBlock.size() != n) {
            throw new IllegalArgumentException("UNet config: block_out_channels, down_block_types, up_block_types, "
                    + "attention_head_dim and transformer_layers_per_block must have one entry per block (" + n + ")");
        }
        for (String t : downBlockTypes) {
            requireKnown("down_block_types", t, Set.of(CROSS_ATTN_DOWN, DOWN));
        }
        for (String t : upBlockTypes) {
            requireKnown("up_block_types", t, Set.of(CROSS_ATTN_UP, UP));
        }
        requireKnown("mid_block_type", midBlockType, Set.of(MID_CROSS_ATTN, MID_PLAIN));
        for (int c : blockOutChannels) {
            if (c % normNumGroups != 0) {
                throw new IllegalArgumentException("UNet config: block channels " + c + " not divisible by norm_num_groups " + normNumGroups);
            }
        }
        boolean anyAttention = downBlockTypes.contains(CROSS_ATTN_DOWN) || upBlockTypes.contains(CROSS_ATTN_UP) || midBlockType.equals(MID_CROSS_ATTN);
        if (anyAttention && crossAttentionDim <= 0) {
            throw new IllegalArgumentException("UNet config: cross-attention blocks need cross_attention_dim > 0");
        }
        for (int i = 0; i < n; i++) {
            if (hasAttention(downBlockTypes.get(i)) && blockOutChannels.get(i) % attentionHeads.get(i) != 0) {
                throw new IllegalArgumentException("UNet config: block " + i + " channels " + blockOutChannels.get(i)
                        + " not divisible by " + attentionHeads.get(i) + " attention heads");
            }
        }
    }

    private static void requireKnown(String field, String value, Set<String> known) {
        if (!known.contains(value)) {
            throw new IllegalArgumentException("UNet config: " + field + " '" + value + "' is not supported; supported: " + known);
        }
    }

    static boolean hasAttention(String blockType) {
        return blockType.startsWith("CrossAttn");
    }

    public boolean downHasAttention(int i) {
        return hasAttention(downBlockTypes.get(i));
    }

    public boolean upHasAttention(int i) {
        return hasAttention(upBlockTypes.get(i));
    }

    public boolean midHasAttention() {
        return midBlockType.equals(MID_CROSS_ATTN);
    }

    /** Width of the timestep embedding: 4x the first block's channels, as in diffusers. */
    public int timeEmbedDim() {
        return blockOutChannels.get(0) * 4;
    }

    /** Stable Diffusion 1.5's UNet (runwayml/stable-diffusion-v1-5, unet/config.json). */
    public static UNetConfig sd15() {
        return new UNetConfig(64, 4, 4, List.of(320, 640, 1280, 1280),
                List.of(CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, DOWN),
                List.of(UP, CROSS_ATTN_UP, CROSS_ATTN_UP, CROSS_ATTN_UP), MID_CROSS_ATTN,
                2, 768, List.of(8, 8, 8, 8), List.of(1, 1, 1, 1), false, 32, 1e-5, true, 0, 0);
    }

    /** Reads diffusers' UNet2DConditionModel config.json; missing fields take diffusers' defaults. */
    public static UNetConfig fromJson(String json) {
        return fromJson(parse(json, "UNet2DConditionModel"));
    }

    public static UNetConfig fromJson(JsonNode n) {
        requireDefault(n, "class_embed_type", null);
        requireDefault(n, "addition_embed_type", null);
        requireDefault(n, "encoder_hid_dim", null);
        requireDefault(n, "time_embedding_type", "positional");
        requireDefault(n, "resnet_time_scale_shift", "default");
        requireDefault(n, "only_cross_attention", false);
        requireDefault(n, "dual_cross_attention", false);
        requireDefault(n, "act_fn", "silu");
        requireDefault(n, "center_input_sample", false);
        List<Integer> blocks = ints(n, "block_out_channels", List.of(320, 640, 1280, 1280));
        int b = blocks.size();
        // diffusers: num_attention_heads, when absent, is taken from attention_head_dim (SD1.x's naming quirk).
        List<String> down = strings(n, "down_block_types", List.of(CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, DOWN));
        // A ControlNetModel config has no up blocks; the mirror of the down path is also diffusers' default.
        List<String> mirroredUp = new java.util.ArrayList<>();
        for (int i = down.size() - 1; i >= 0; i--) {
            mirroredUp.add(hasAttention(down.get(i)) ? CROSS_ATTN_UP : UP);
        }
        List<Integer> heads = n.hasNonNull("num_attention_heads")
                ? intOrList(n, "num_attention_heads", b, null)
                : intOrList(n, "attention_head_dim", b, java.util.Collections.nCopies(b, 8));
        return new UNetConfig(
                integer(n, "sample_size", 64),
                integer(n, "in_channels", 4),
                integer(n, "out_channels", 4),
                blocks,
                down,
                strings(n, "up_block_types", mirroredUp),
                text(n, "mid_block_type", MID_CROSS_ATTN),
                integer(n, "layers_per_block", 2),
                integer(n, "cross_attention_dim", 1280),
                heads,
                intOrList(n, "transformer_layers_per_block", b, java.util.Collections.nCopies(b, 1)),
                bool(n, "use_linear_projection", false),
                integer(n, "norm_num_groups", 32),
                number(n, "norm_eps", 1e-5),
                bool(n, "flip_sin_to_cos", true),
                integer(n, "freq_shift", 0),
                integer(n, "cnf_pooled_text_dim", 0));
    }

    /** diffusers' config.json for this UNet. */
    public String toJson() {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("_class_name", "UNet2DConditionModel");
        o.put("_diffusers_version", DIFFUSERS_VERSION);
        o.put("sample_size", sampleSize);
        o.put("in_channels", inChannels);
        o.put("out_channels", outChannels);
        o.put("center_input_sample", false); // a UNet2DConditionModel argument; ControlNetModel has none
        putShared(o);
        array(o, "up_block_types", upBlockTypes);
        o.put("mid_block_type", midBlockType);
        return pretty(o);
    }

    /** Fields a ControlNetModel config shares with its UNet. */
    void putShared(ObjectNode o) {
        o.put("act_fn", "silu");
        o.put("downsample_padding", 1);
        o.put("mid_block_scale_factor", 1);
        array(o, "block_out_channels", blockOutChannels);
        array(o, "down_block_types", downBlockTypes);
        o.put("layers_per_block", layersPerBlock);
        o.put("cross_attention_dim", crossAttentionDim);
        array(o, "attention_head_dim", attentionHeads);
        array(o, "transformer_layers_per_block", transformerLayersPerBlock);
        o.put("use_linear_projection", useLinearProjection);
        o.put("norm_num_groups", normNumGroups);
        o.put("norm_eps", normEps);
        o.put("flip_sin_to_cos", flipSinToCos);
        o.put("freq_shift", freqShift);
        if (pooledTextDim > 0) {
            o.put("cnf_pooled_text_dim", pooledTextDim);
        }
    }
}
