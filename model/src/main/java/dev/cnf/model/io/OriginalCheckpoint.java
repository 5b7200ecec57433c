package dev.cnf.model.io;

import dev.cnf.model.config.AutoencoderConfig;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.config.UNetConfig;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the original (CompVis / lllyasviel) single-file layout through diffusers' names, so community
 * SD1.5 checkpoints and ControlNet releases load into our blocks: {@code model.diffusion_model.*}
 * (UNet), {@code first_stage_model.*} (VAE), {@code cond_stage_model.transformer.*} (CLIP text) and
 * {@code control_model.*} (ControlNet). Keys we cannot map keep their original name, so the loader
 * reports them as unexpected instead of dropping them silently.
 */
public final class OriginalCheckpoint {
    public static final String UNET = "model.diffusion_model.";
    public static final String VAE = "first_stage_model.";
    public static final String TEXT = "cond_stage_model.transformer.";
    public static final String CONTROL = "control_model.";

    private OriginalCheckpoint() {}

    /** True when the file uses the original layout for any of the four models. */
    public static boolean isOriginal(TensorSource source) {
        return source.names().stream().anyMatch(k -> k.startsWith(UNET) || k.startsWith(CONTROL) || k.startsWith(VAE) || k.startsWith(TEXT));
    }

    public static TensorSource unet(TensorSource source, UNetConfig c) {
        return view(source, UNET, rest -> unetKey(rest, c, false));
    }

    public static TensorSource controlNet(TensorSource source, ControlNetConfig c) {
        return view(source, CONTROL, rest -> controlKey(rest, c));
    }

    public static TensorSource vae(TensorSource source, AutoencoderConfig c) {
        return view(source, VAE, rest -> vaeKey(rest, c));
    }

    /** transformers ≥ 4.x nests under text_model.; older checkpoints do not. position_ids is a buffer, not a weight. */
    public static TensorSource textEncoder(TensorSource source) {
        return view(source, TEXT, rest -> rest.endsWith("position_ids") ? "" : rest.startsWith("text_model.") ? rest : "text_model." + rest);
    }

    private static final Pattern INPUT = Pattern.compile("input_blocks\\.(\\d+)\\.(\\d+)\\.(.+)");
    private static final Pattern MIDDLE = Pattern.compile("middle_block\\.(\\d+)\\.(.+)");
    private static final Pattern OUTPUT = Pattern.compile("output_blocks\\.(\\d+)\\.(\\d+)\\.(.+)");

    private static String unetKey(String k, UNetConfig c, boolean encoderOnly) {
        int per = c.layersPerBlock() + 1;
        if (k.startsWith("time_embed.0.")) {
            return "time_embedding.linear_1." + k.substring(13);
        }
        if (k.startsWith("time_embed.2.")) {
            return "time_embedding.linear_2." + k.substring(13);
        }
        if (k.startsWith("input_blocks.0.0.")) {
            return "conv_in." + k.substring(17);
        }
        Matcher m = INPUT.matcher(k);
        if (m.matches()) {
            int idx = Integer.parseInt(m.group(1)) - 1;
            int block = idx / per;
            int layer = idx % per;
            String rest = m.group(3);
            if (layer == c.layersPerBlock()) { // the downsampler slot
                return rest.startsWith("op.") ? "down_blocks." + block + ".downsamplers.0.conv." + rest.substring(3) : null;
            }
            return m.group(2).equals("0")
                    ? "down_blocks." + block + ".resnets." + layer + "." + resnet(rest)
                    : "down_blocks." + block + ".attentions." + layer + "." + rest;
        }
        m = MIDDLE.matcher(k);
        if (m.matches()) {
            int i = Integer.parseInt(m.group(1));
            boolean attention = c.midHasAttention();
            if (i == 0) {
                return "mid_block.resnets.0." + resnet(m.group(2));
            }
            if (attention && i == 1) {
                return "mid_block.attentions.0." + m.group(2);
            }
            return "mid_block.resnets.1." + resnet(m.group(2));
        }
        if (encoderOnly) {
            return null;
        }
        m = OUTPUT.matcher(k);
        if (m.matches()) {
            int idx = Integer.parseInt(m.group(1));
            int block = idx / per;
            int layer = idx % per;
            int slot = Integer.parseInt(m.group(2));
            String rest = m.group(3);
            if (slot == 0) {
                return "up_blocks." + block + ".resnets." + layer + "." + resnet(rest);
            }
            if (rest.startsWith("conv.")) { // Upsample: slot 1 without attention, 2 with
                return "up_blocks." + block + ".upsamplers.0." + rest;
            }
            return "up_blocks." + block + ".attentions." + layer + "." + rest;
        }
        if (k.startsWith("out.0.")) {
            return "conv_norm_out." + k.substring(6);
        }
        if (k.startsWith("out.2.")) {
            return "conv_out." + k.substring(6);
        }
        return null;
    }

    /** ResBlock (ldm) → ResnetBlock2D (diffusers). */
    private static String resnet(String k) {
        return k.replace("in_layers.0.", "norm1.").replace("in_layers.2.", "conv1.")
                .replace("emb_layers.1.", "time_emb_proj.").replace("out_layers.0.", "norm2.")
                .replace("out_layers.3.", "conv2.").replace("skip_connection.", "conv_shortcut.");
    }

    private static final Pattern HINT = Pattern.compile("input_hint_block\\.(\\d+)\\.(.+)");
    private static final Pattern ZERO = Pattern.compile("zero_convs\\.(\\d+)\\.0\\.(.+)");

    private static String controlKey(String k, ControlNetConfig c) {
        Matcher m = HINT.matcher(k);
        if (m.matches()) {
            int conv = Integer.parseInt(m.group(1)) / 2; // convs sit at even indices, SiLUs between them
            int lastConv = 2 * (c.conditioningEmbeddingOutChannels().size() - 1) + 1;
            String target = conv == 0 ? "conv_in" : conv == lastConv ? "conv_out" : "blocks." + (conv - 1);
            return "controlnet_cond_embedding." + target + "." + m.group(2);
        }
        m = ZERO.matcher(k);
        if (m.matches()) {
            return "controlnet_down_blocks." + m.group(1) + "." + m.group(2);
        }
        if (k.startsWith("middle_block_out.0.")) {
            return "controlnet_mid_block." + k.substring(19);
        }
        return unetKey(k, c.unet(), true);
    }

    /**
     * The ControlNet's diffusers-named weights renamed to the original single-file layout under
     * {@code control_model.} (what ControlNet's own code and the A1111 extension load): the inverse of
     * {@link #controlNet}. Every name is checked to map back, so a writer can never emit a file this
     * class would not read.
     */
    public static Map<String, Tensor> controlNetToOriginal(Map<String, Tensor> diffusers, ControlNetConfig c) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : diffusers.entrySet()) {
            out.put(originalControlName(e.getKey(), c), e.getValue());
        }
        return out;
    }

    /**
     * A diffusers ControlNet weight's name in the original single-file layout ({@code control_model.*}); checked to map
     * back, so a file renamed with it reads back through this class to the same weights.
     *
     * @throws IllegalArgumentException for a weight the original layout has no name for
     */
    public static String originalControlName(String diffusersKey, ControlNetConfig c) {
        if (c.paperHintEncoder() && diffusersKey.startsWith("controlnet_cond_embedding.")) {
            throw new IllegalArgumentException("the paper's hint encoder (4x4 convolutions, ReLU) has no place in the original single-file"
                    + " layout, whose input_hint_block is the 3x3/SiLU encoder; only the diffusers folder can hold these weights");
        }
        String original = originalControlKey(diffusersKey, c);
        if (original == null || !diffusersKey.equals(controlKey(original, c))) {
            throw new IllegalArgumentException("ControlNet weight " + diffusersKey
                    + " has no name in the original single-file layout; only the diffusers folder can hold these weights");
        }
        return CONTROL + original;
    }

    private static final Pattern D_HINT = Pattern.compile("controlnet_cond_embedding\\.(conv_in|conv_out|blocks\\.(\\d+))\\.(.+)");
    private static final Pattern D_ZERO = Pattern.compile("controlnet_down_blocks\\.(\\d+)\\.(.+)");
    private static final Pattern D_DOWN = Pattern.compile("down_blocks\\.(\\d+)\\.(resnets|attentions)\\.(\\d+)\\.(.+)");
    private static final Pattern D_DOWNSAMPLE = Pattern.compile("down_blocks\\.(\\d+)\\.downsamplers\\.0\\.conv\\.(.+)");
    private static final Pattern D_MID = Pattern.compile("mid_block\\.(resnets|attentions)\\.(\\d)\\.(.+)");

    private static String originalControlKey(String k, ControlNetConfig c) {
        UNetConfig u = c.unet();
        int per = u.layersPerBlock() + 1;
        Matcher m = D_HINT.matcher(k);
        if (m.matches()) {
            int lastConv = 2 * (c.conditioningEmbeddingOutChannels().size() - 1) + 1;
            int conv = m.group(1).equals("conv_in") ? 0 : m.group(1).equals("conv_out") ? lastConv : Integer.parseInt(m.group(2)) + 1;
            return "input_hint_block." + 2 * conv + "." + m.group(3);
        }
        m = D_ZERO.matcher(k);
        if (m.matches()) {
            return "zero_convs." + m.group(1) + ".0." + m.group(2);
        }
        if (k.startsWith("controlnet_mid_block.")) {
            return "middle_block_out.0." + k.substring("controlnet_mid_block.".length());
        }
        if (k.startsWith("time_embedding.linear_1.")) {
            return "time_embed.0." + k.substring("time_embedding.linear_1.".length());
        }
        if (k.startsWith("time_embedding.linear_2.")) {
            return "time_embed.2." + k.substring("time_embedding.linear_2.".length());
        }
        if (k.startsWith("conv_in.")) {
            return "input_blocks.0.0." + k.substring("conv_in.".length());
        }
        m = D_DOWN.matcher(k);
        if (m.matches()) {
            int index = 1 + Integer.parseInt(m.group(1)) * per + Integer.parseInt(m.group(3));
            return m.group(2).equals("resnets")
                    ? "input_blocks." + index + ".0." + resnetToOriginal(m.group(4))
                    : "input_blocks." + index + ".1." + m.group(4);
        }
        m = D_DOWNSAMPLE.matcher(k);
        if (m.matches()) {
            return "input_blocks." + (1 + Integer.parseInt(m.group(1)) * per + u.layersPerBlock()) + ".0.op." + m.group(2);
        }
        m = D_MID.matcher(k);
        if (m.matches()) {
            int slot = m.group(1).equals("attentions") ? 1 : m.group(2).equals("0") ? 0 : u.midHasAttention() ? 2 : 1;
            return "middle_block." + slot + "." + (m.group(1).equals("resnets") ? resnetToOriginal(m.group(3)) : m.group(3));
        }
        return null;
    }

    /** ResnetBlock2D (diffusers) → ResBlock (ldm); the module name leads the key. */
    private static String resnetToOriginal(String k) {
        String[][] names = {{"norm1.", "in_layers.0."}, {"conv1.", "in_layers.2."}, {"time_emb_proj.", "emb_layers.1."},
                {"norm2.", "out_layers.0."}, {"conv2.", "out_layers.3."}, {"conv_shortcut.", "skip_connection."}};
        for (String[] n : names) {
            if (k.startsWith(n[0])) {
                return n[1] + k.substring(n[0].length());
            }
        }
        return k;
    }

    private static final Pattern VAE_DOWN = Pattern.compile("encoder\\.down\\.(\\d+)\\.(block\\.(\\d+)|downsample)\\.(.+)");
    private static final Pattern VAE_UP = Pattern.compile("decoder\\.up\\.(\\d+)\\.(block\\.(\\d+)|upsample)\\.(.+)");
    private static final Pattern VAE_MID = Pattern.compile("(encoder|decoder)\\.mid\\.(block_1|attn_1|block_2)\\.(.+)");

    private static String vaeKey(String k, AutoencoderConfig c) {
        Matcher m = VAE_DOWN.matcher(k);
        if (m.matches()) {
            return m.group(3) != null
                    ? "encoder.down_blocks." + m.group(1) + ".resnets." + m.group(3) + "." + vaeResnet(m.group(4))
                    : "encoder.down_blocks." + m.group(1) + ".downsamplers.0." + m.group(4);
        }
        m = VAE_UP.matcher(k);
        if (m.matches()) {
            int block = c.blockOutChannels().size() - 1 - Integer.parseInt(m.group(1)); // ldm counts from the bottom
            return m.group(3) != null
                    ? "decoder.up_blocks." + block + ".resnets." + m.group(3) + "." + vaeResnet(m.group(4))
                    : "decoder.up_blocks." + block + ".upsamplers.0." + m.group(4);
        }
        m = VAE_MID.matcher(k);
        if (m.matches()) {
            String where = m.group(1) + ".mid_block.";
            return switch (m.group(2)) {
                case "block_1" -> where + "resnets.0." + vaeResnet(m.group(3));
                case "block_2" -> where + "resnets.1." + vaeResnet(m.group(3));
                default -> where + "attentions.0." + m.group(3).replace("norm.", "group_norm.").replace("q.", "to_q.")
                        .replace("k.", "to_k.").replace("v.", "to_v.").replace("proj_out.", "to_out.0.");
            };
        }
        if (k.matches("(encoder|decoder)\\.norm_out\\..+")) {
            return k.replace("norm_out.", "conv_norm_out.");
        }
        if (k.matches("(encoder|decoder)\\.conv_(in|out)\\..+") || k.startsWith("quant_conv.") || k.startsWith("post_quant_conv.")) {
            return k;
        }
        return null;
    }

    private static String vaeResnet(String k) {
        return k.replace("nin_shortcut.", "conv_shortcut.");
    }

    /**
     * The keys under {@code prefix}, renamed; an unmappable key keeps its original name (so it is
     * reported), a key mapped to "" is a known buffer and skipped. The VAE's 1x1-conv attention
     * projections are reshaped to the linear layers diffusers uses.
     */
    private static TensorSource view(TensorSource source, String prefix, java.util.function.Function<String, String> rename) {
        Map<String, String> toOriginal = new LinkedHashMap<>();
        for (String k : source.names()) {
            if (k.startsWith(prefix)) {
                String mapped = rename.apply(k.substring(prefix.length()));
                if (mapped == null) {
                    toOriginal.put(k, k);
                } else if (!mapped.isEmpty()) {
                    toOriginal.put(mapped, k);
                }
            }
        }
        return new TensorSource() {
            @Override
            public Set<String> names() {
                return toOriginal.keySet();
            }

            @Override
            public long[] shape(String name) {
                long[] s = source.shape(toOriginal.get(name));
                boolean conv1x1AsLinear = name.contains("mid_block.attentions.0.to_") && name.endsWith(".weight") && s.length == 4;
                return conv1x1AsLinear ? new long[] {s[0], s[1]} : s;
            }

            @Override
            public float[] floats(String name) {
                return source.floats(toOriginal.get(name));
            }

            @Override
            public void copyInto(String name, ai.djl.ndarray.NDArray target) {
                source.copyInto(toOriginal.get(name), target);
            }
        };
    }
}
