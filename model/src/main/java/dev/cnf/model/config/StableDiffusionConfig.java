package dev.cnf.model.config;

import java.util.List;

/**
 * The four models of a Stable Diffusion + ControlNet stack, each shaped by its own diffusers /
 * transformers config. Presets: {@code sd15} (the real thing) and {@code tiny-sd} (the same
 * architecture at toy widths, for parity tests and quick experiments on CPU).
 */
public record StableDiffusionConfig(String name, UNetConfig unet, ControlNetConfig controlnet, AutoencoderConfig vae, ClipTextConfig textEncoder) {

    public static final List<String> PRESETS = List.of("sd15", "tiny-sd", "mid-sd");

    public StableDiffusionConfig {
        if (controlnet.hintDownsampling() != vae.downsampling()) {
            throw new IllegalArgumentException(name + ": the hint encoder downsamples by " + controlnet.hintDownsampling()
                    + " but the VAE by " + vae.downsampling());
        }
        if (unet.crossAttentionDim() > 0 && unet.crossAttentionDim() != textEncoder.hiddenSize()) {
            throw new IllegalArgumentException(name + ": cross_attention_dim " + unet.crossAttentionDim()
                    + " differs from the text encoder's hidden_size " + textEncoder.hiddenSize());
        }
    }

    public static StableDiffusionConfig sd15() {
        return new StableDiffusionConfig("sd15", UNetConfig.sd15(), ControlNetConfig.sd15(), AutoencoderConfig.sd15(), ClipTextConfig.sd15());
    }

    /**
     * SD1.5's architecture at toy widths: two UNet levels (cross-attention, then plain), a
     * three-level VAE (4x), a 2-layer CLIP text model with a 1000-token vocabulary.
     */
    public static StableDiffusionConfig tinySd() {
        UNetConfig unet = new UNetConfig(16, 4, 4, List.of(32, 64),
                List.of(UNetConfig.CROSS_ATTN_DOWN, UNetConfig.DOWN), List.of(UNetConfig.UP, UNetConfig.CROSS_ATTN_UP),
                UNetConfig.MID_CROSS_ATTN, 2, 32, List.of(2, 4), List.of(1, 1), false, 8, 1e-5, true, 0, 0);
        return new StableDiffusionConfig("tiny-sd", unet, new ControlNetConfig(unet, 3, List.of(8, 16, 32)),
                new AutoencoderConfig(64, 3, 3, 4, List.of(16, 32, 32), 1, 8, 0.18215),
                new ClipTextConfig(1000, 32, 37, 2, 4, 77, "quick_gelu", 1e-5, 998, 999));
    }

    /**
     * SD1.5's layout (four UNet levels, three with cross-attention, 2 layers each) at a quarter of its
     * widths, for 128 px images (16x16 latents): the benchmarks' mid-size point between tiny-sd and sd15.
     */
    public static StableDiffusionConfig midSd() {
        UNetConfig unet = new UNetConfig(16, 4, 4, List.of(80, 160, 320, 320),
                List.of(UNetConfig.CROSS_ATTN_DOWN, UNetConfig.CROSS_ATTN_DOWN, UNetConfig.CROSS_ATTN_DOWN, UNetConfig.DOWN),
                List.of(UNetConfig.UP, UNetConfig.CROSS_ATTN_UP, UNetConfig.CROSS_ATTN_UP, UNetConfig.CROSS_ATTN_UP),
                UNetConfig.MID_CROSS_ATTN, 2, 192, List.of(8, 8, 8, 8), List.of(1, 1, 1, 1), false, 16, 1e-5, true, 0, 0);
        return new StableDiffusionConfig("mid-sd", unet, new ControlNetConfig(unet, 3, List.of(16, 32, 96, 256)),
                new AutoencoderConfig(128, 3, 3, 4, List.of(32, 64, 128, 128), 1, 16, 0.18215),
                new ClipTextConfig(49408, 192, 768, 4, 4, 77, "quick_gelu", 1e-5, 49406, 49407));
    }

    public static StableDiffusionConfig preset(String name) {
        return switch (name) {
            case "sd15" -> sd15();
            case "tiny-sd" -> tinySd();
            case "mid-sd" -> midSd();
            default -> throw new IllegalArgumentException("unknown model config '" + name + "'; presets: " + PRESETS);
        };
    }
}
