package dev.cnf.workflows.spec;

import java.util.List;

/**
 * The model being trained and the frozen base it steers: every stage that touches the model reads it (captions are cut
 * to its text encoder, images are cleaned to its resolution). Null means the default.
 *
 * @param modelConfig model preset: "tiny" (pixel space, the demo's) or a Stable Diffusion preset "sd15", "mid-sd", "tiny-sd"
 * @param baseModel   frozen base the ControlNet steers: for "tiny", "tiny-circles" (shipped, made by `cnf pretrain`); for a
 *                    Stable Diffusion preset, a diffusers folder (unet/, vae/, text_encoder/, tokenizer/) as
 *                    s3://bucket/prefix/ or an absolute path on the workers; for any preset "random" (untrained, seed 0)
 * @param resolution  training resolution (square); the preset's own size unless set
 * @param precision   "fp32", or mixed precision with the frozen base stored in "fp16" or "bf16" (the ControlNet keeps
 *                    float32 weights and optimizer state): for GPU workers; bf16 needs a worker whose DJL JNI holds it
 * @param hintEncoder the ControlNet's hint encoder: "diffusers" (3x3 convolutions, SiLU: diffusers' and the released
 *                    checkpoints') or "paper" (the paper's text: four 4x4 convolutions, ReLU, 16/32/64/128 channels,
 *                    Gaussian weights; published in the diffusers folder with a config key diffusers ignores, and weights
 *                    it cannot load)
 */
public record ModelSpec(String modelConfig, String baseModel, Integer resolution, String precision, String hintEncoder) {
    public static final List<String> MODEL_CONFIGS = List.of("tiny", "sd15", "mid-sd", "tiny-sd");
    /** Presets with SD1.5's architecture (VAE latents, CLIP text, cross-attention UNet); their base is a diffusers folder. */
    public static final List<String> SD_MODEL_CONFIGS = List.of("sd15", "mid-sd", "tiny-sd");
    /** The tiny preset's shipped base, made by `cnf pretrain`. */
    public static final String TINY_CIRCLES = "tiny-circles";
    public static final List<String> TINY_BASE_MODELS = List.of(TINY_CIRCLES, "random");
    public static final List<String> PRECISIONS = List.of("fp32", "fp16", "bf16");
    public static final List<String> HINT_ENCODERS = List.of("diffusers", "paper");
    /** The classifier-free guidance scale samples take unless set: the paper's 9.0 ({@link #guidanceScale}). */
    public static final double PAPER_GUIDANCE_SCALE = 9.0;
    /**
     * The shipped tiny-circles base's guidance scale. It is a pixel-space model trained with v-prediction and zero terminal
     * SNR, whose colours over-saturate and drift at high guidance (Lin et al. 2024): of 96 held-out captions it draws both
     * colours in 89-94 at 5.0 (sampling seeds 1-5) against 81 at 9.0 (ShippedBaseTest; the README's table).
     */
    public static final double TINY_CIRCLES_GUIDANCE_SCALE = 5.0;

    public ModelSpec {
        modelConfig = Checks.blank(modelConfig) ? "tiny" : modelConfig;
        baseModel = Checks.blank(baseModel) ? (isTiny(modelConfig) ? TINY_CIRCLES : "") : baseModel;
        // the preset's own size: SD1.5 was trained at 512; mid-sd and tiny-sd are for benchmarks and tests
        resolution = resolution != null ? resolution : switch (modelConfig) {
            case "sd15" -> 512;
            case "mid-sd" -> 128;
            default -> 64;
        };
        precision = Checks.blank(precision) ? "fp32" : precision;
        hintEncoder = Checks.blank(hintEncoder) ? "diffusers" : hintEncoder;
    }

    public static ModelSpec defaults() {
        return new ModelSpec(null, null, null, null, null);
    }

    private static boolean isTiny(String modelConfig) {
        return "tiny".equals(modelConfig);
    }

    /** The pixel-space demo preset, whose default learning rate and base differ from Stable Diffusion's. */
    public boolean tiny() {
        return isTiny(modelConfig);
    }

    /** The guidance scale sampling from this base takes unless an input sets one. */
    public double guidanceScale() {
        return guidanceScaleFor(baseModel);
    }

    /** The guidance scale sampling from {@code baseModel} takes unless told otherwise. */
    public static double guidanceScaleFor(String baseModel) {
        return TINY_CIRCLES.equals(baseModel) ? TINY_CIRCLES_GUIDANCE_SCALE : PAPER_GUIDANCE_SCALE;
    }

    /**
     * What every training image side must be a multiple of: the Stable Diffusion presets' 64 (the VAE's 8x, then the
     * UNet's three halvings), the tiny preset's 8 (its 2x space-to-depth, then two halvings; the model library's
     * {@code ModelConfig.withSampleSize} checks the same).
     */
    public int sizeMultiple() {
        return stableDiffusion() ? 64 : 8;
    }

    public boolean stableDiffusion() {
        return SD_MODEL_CONFIGS.contains(modelConfig);
    }

    public void addProblems(List<String> p) {
        Checks.oneOf(p, "modelConfig", modelConfig, MODEL_CONFIGS);
        Checks.range(p, "resolution", resolution, 8, 2048);
        Checks.oneOf(p, "precision", precision, PRECISIONS);
        Checks.oneOf(p, "hintEncoder", hintEncoder, HINT_ENCODERS);
        if (tiny() && !TINY_BASE_MODELS.contains(baseModel)) {
            p.add("baseModel '" + baseModel + "': the tiny preset takes one of " + TINY_BASE_MODELS);
        } else if (stableDiffusion()) {
            if (!baseModel.equals("random") && !Checks.isLocation(baseModel)) {
                p.add("baseModel '" + baseModel + "': preset " + modelConfig + " needs a diffusers Stable Diffusion folder (unet/, vae/,"
                        + " text_encoder/, tokenizer/) as s3://bucket/prefix/ or an absolute path on the workers, or random");
            }
            if (resolution % 64 != 0) {
                p.add("resolution " + resolution + ": preset " + modelConfig + " needs a multiple of 64 (the VAE's 8x, then the UNet's"
                        + " three halvings); SD1.5 was trained at 512");
            }
        }
    }
}
