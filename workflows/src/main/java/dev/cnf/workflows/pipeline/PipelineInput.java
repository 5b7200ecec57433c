package dev.cnf.workflows.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything a pipeline run can be told. Every field has a default, so {@code {}} is a valid input
 * from the Temporal UI or `cnf run`. Null means "use the default" (boxed types on purpose).
 *
 * @param name           model name: published under models/&lt;name&gt;/&lt;version&gt;/
 * @param sources        gallery pages, sitemaps, image URLs, URL lists (.txt, .csv, .tsv, .jsonl) over http(s), or
 *                       s3://bucket/prefix (images, name.txt captions beside them) or s3://bucket/list.csv;
 *                       empty → the worker's configured default source
 * @param maxImages      stop ingesting after this many images
 * @param maxDepth       link-following depth from each source page
 * @param minSide        drop images whose shorter side is below this (TOO_SMALL)
 * @param resolution     training resolution (square), must match the model config's sample size
 * @param captioner      "alt" (alt text, else the default prompt), "template" (always the default prompt), "none" (""),
 *                       "csv" (captionsFile), "openai" (the workers' OpenAI-compatible endpoint) or "model" (captionModel)
 * @param defaultPrompt  the paper's default prompt
 * @param condition      condition extractor: canny, hough, softedge, scribble, sketch or lineart
 * @param modelConfig    model preset: "tiny" (pixel space, the demo's) or a Stable Diffusion preset "sd15", "mid-sd", "tiny-sd"
 * @param baseModel      frozen base the ControlNet steers: for "tiny", "tiny-circles" (shipped, made by `cnf pretrain`); for a
 *                       Stable Diffusion preset, a diffusers folder (unet/, vae/, text_encoder/, tokenizer/) as
 *                       s3://bucket/prefix/ or an absolute path on the workers; for any preset "random" (untrained, seed 0)
 * @param trainSteps     optimizer steps
 * @param batchSize      samples per step
 * @param learningRate   AdamW learning rate
 * @param seed           seeds data order, noise, timesteps and sampling
 * @param checkpointEvery steps between checkpoints in object storage
 * @param evalSamples    conditions sampled for the report
 * @param evalSteps      DDIM steps for evaluation samples
 * @param probeEvery     training steps between convergence probes (condition gain + edge F1 on held-out samples)
 * @param guidanceScale  classifier-free guidance scale for evaluation
 * @param version        published version; empty → derived from the workflow start time and run id
 * @param controlScale   ControlNet residual scale when sampling for evaluation
 * @param promotionTolerance how much worse than the current latest a new version may score on the gate's metric
 *                       (depth RMSE or segmentation mIoU when an annotator measured it, else edge F1), as a
 *                       fraction of that metric's full scale, and still become latest; otherwise it is a candidate
 * @param userPrompt     the evaluation's "user" prompt mode (the paper's fourth mode); empty skips that mode
 * @param onlyNewData    retraining: drop images the model's latest version was trained on (reason ALREADY_TRAINED)
 * @param continueFromLatest retraining: start from the latest published version's weights instead of a fresh ControlNet
 * @param shardSize      image references per ingestion shard (one fetch and one clean activity each)
 * @param parallelShards shards in flight at once, across all workers
 * @param maxAspectRatio drop images whose longer side exceeds this multiple of the shorter (BAD_ASPECT)
 * @param maxPixels      drop images whose header declares more pixels (TOO_MANY_PIXELS), before decoding
 * @param nearDuplicateDistance perceptual-hash Hamming distance (of 64 bits) counted as a near duplicate; -1 turns it off
 * @param followOtherHosts crawl links to other hosts too (default: same host:port as the page)
 * @param annotatorModel TorchScript (.pt) or ONNX (.onnx) model of the depth, normal (a depth model), seg or pose condition, as s3://bucket/key
 *                       or an absolute path on the workers; its existence is checked before any work starts
 * @param captionsFile   the csv captioner's CSV/TSV/JSONL (columns url or file, and caption), s3://bucket/key or a worker path
 * @param captionModel   the model captioner's folder (encoder.pt, decoder.pt, vocab.txt, captioner.json), s3://bucket/prefix/ or a worker path
 * @param captionBeams   the model captioner's beam width; 1 decodes greedily
 * @param trainingMode   "default" (all 12 skips and the middle block connected), "small" (the paper's small-scale mode:
 *                       only the middle block, the skips reconnected at reconnectSkipsAt or when sudden convergence is detected)
 *                       or "large" (the paper's large-scale mode: after unlockBaseAt steps the base UNet trains too)
 * @param reconnectSkipsAt small mode: step to reconnect the skips; -1 reconnects when the detector fires
 * @param stopAfterConvergence end training this many steps after sudden convergence is detected; -1 trains all trainSteps
 * @param evalEvery      also evaluate the checkpoint every this many steps during training (0: only the final weights)
 * @param shardsPerRun   shards the dataset child workflow starts before it continues as new (bounds its history)
 * @param unlockBaseAt   large mode: the step from which the base UNet's weights train jointly with the ControlNet
 * @param baseLearningRate large mode: the base UNet's own AdamW learning rate (default: learningRate / 10)
 * @param precision      "fp32", or mixed precision with the frozen base stored in "fp16" or "bf16" (the ControlNet keeps
 *                       float32 weights and optimizer state): for GPU workers; bf16 needs a worker whose DJL JNI holds it
 */
public record PipelineInput(
        String name,
        List<String> sources,
        Integer maxImages,
        Integer maxDepth,
        Integer minSide,
        Integer resolution,
        String captioner,
        String defaultPrompt,
        String condition,
        String modelConfig,
        String baseModel,
        Integer trainSteps,
        Integer batchSize,
        Double learningRate,
        Long seed,
        Integer checkpointEvery,
        Integer evalSamples,
        Integer evalSteps,
        Integer probeEvery,
        Double guidanceScale,
        String version,
        Double controlScale,
        Double promotionTolerance,
        String userPrompt,
        Boolean onlyNewData,
        Boolean continueFromLatest,
        Integer shardSize,
        Integer parallelShards,
        Double maxAspectRatio,
        Long maxPixels,
        Integer nearDuplicateDistance,
        Boolean followOtherHosts,
        String annotatorModel,
        String captionsFile,
        String captionModel,
        Integer captionBeams,
        String trainingMode,
        Integer reconnectSkipsAt,
        Integer stopAfterConvergence,
        Integer unlockBaseAt,
        Double baseLearningRate,
        Integer shardsPerRun,
        Integer evalEvery,
        String precision) {

    public static final String DEFAULT_PROMPT = "a professional, detailed, high-quality image";
    public static final List<String> CAPTIONERS = List.of("alt", "template", "none", "csv", "openai", "model");
    public static final List<String> CONDITIONS = List.of("canny", "depth", "hough", "lineart", "normal", "pose", "scribble", "seg",
            "sketch", "softedge");
    /** Conditions extracted by a user-supplied annotator model ({@code annotatorModel}). */
    public static final List<String> MODEL_BACKED_CONDITIONS = List.of("depth", "normal", "pose", "seg");
    public static final List<String> MODEL_CONFIGS = List.of("tiny", "sd15", "mid-sd", "tiny-sd");
    public static final List<String> TRAINING_MODES = List.of("default", "small", "large");
    public static final List<String> PRECISIONS = List.of("fp32", "fp16", "bf16");
    public static final List<String> BASE_MODELS = List.of("tiny-circles", "random");
    /** Presets with SD1.5's architecture (VAE latents, CLIP text, cross-attention UNet); their base is a diffusers folder. */
    public static final List<String> SD_MODEL_CONFIGS = List.of("sd15", "mid-sd", "tiny-sd");

    public PipelineInput {
        name = blank(name) ? "controlnet-canny" : name;
        sources = sources == null ? List.of() : List.copyOf(sources);
        maxImages = maxImages == null ? 64 : maxImages;
        maxDepth = maxDepth == null ? 2 : maxDepth;
        minSide = minSide == null ? 32 : minSide;
        modelConfig = blank(modelConfig) ? "tiny" : modelConfig;
        // the preset's own size: SD1.5 was trained at 512; mid-sd and tiny-sd are for benchmarks and tests
        resolution = resolution == null ? switch (modelConfig) {
            case "sd15" -> 512;
            case "mid-sd" -> 128;
            default -> 64;
        } : resolution;
        captioner = blank(captioner) ? "alt" : captioner;
        defaultPrompt = defaultPrompt == null ? DEFAULT_PROMPT : defaultPrompt;
        condition = blank(condition) ? "canny" : condition;
        baseModel = blank(baseModel) ? ("tiny".equals(modelConfig) ? "tiny-circles" : "") : baseModel;
        // Training defaults are tuned for the tiny preset: its ControlNet converges at ~200 steps (edge F1
        // 0.11 → 0.40 on held-out samples). The Stable Diffusion presets take the paper's rate, 1e-5.
        trainSteps = trainSteps == null ? 600 : trainSteps;
        batchSize = batchSize == null ? 8 : batchSize;
        learningRate = learningRate == null ? ("tiny".equals(modelConfig) ? 5e-3 : 1e-5) : learningRate;
        seed = seed == null ? 42L : seed;
        checkpointEvery = checkpointEvery == null ? 100 : checkpointEvery;
        evalSamples = evalSamples == null ? 8 : evalSamples;
        evalSteps = evalSteps == null ? 20 : evalSteps;
        probeEvery = probeEvery == null ? 50 : probeEvery;
        guidanceScale = guidanceScale == null ? 9.0 : guidanceScale;
        version = version == null ? "" : version;
        controlScale = controlScale == null ? 1.0 : controlScale;
        promotionTolerance = promotionTolerance == null ? 0.02 : promotionTolerance;
        userPrompt = userPrompt == null ? "" : userPrompt;
        onlyNewData = onlyNewData != null && onlyNewData;
        continueFromLatest = continueFromLatest != null && continueFromLatest;
        shardSize = shardSize == null ? 256 : shardSize;
        parallelShards = parallelShards == null ? 4 : parallelShards;
        maxAspectRatio = maxAspectRatio == null ? 3.0 : maxAspectRatio;
        // PIL's warning threshold (89.5 MP): larger pictures are rare outside decompression bombs
        maxPixels = maxPixels == null ? 89_478_485L : maxPixels;
        nearDuplicateDistance = nearDuplicateDistance == null ? 4 : nearDuplicateDistance;
        followOtherHosts = followOtherHosts != null && followOtherHosts;
        annotatorModel = annotatorModel == null ? "" : annotatorModel.strip();
        captionsFile = captionsFile == null ? "" : captionsFile.strip();
        captionModel = captionModel == null ? "" : captionModel.strip();
        captionBeams = captionBeams == null ? 1 : captionBeams;
        trainingMode = blank(trainingMode) ? "default" : trainingMode;
        reconnectSkipsAt = reconnectSkipsAt == null ? -1 : reconnectSkipsAt;
        stopAfterConvergence = stopAfterConvergence == null ? -1 : stopAfterConvergence;
        unlockBaseAt = unlockBaseAt == null ? -1 : unlockBaseAt;
        baseLearningRate = baseLearningRate == null ? learningRate / 10 : baseLearningRate;
        shardsPerRun = shardsPerRun == null ? 500 : shardsPerRun;
        evalEvery = evalEvery == null ? 0 : evalEvery;
        precision = blank(precision) ? "fp32" : precision;
    }

    /** All defaults; what `{}` deserialises to. */
    public static PipelineInput defaults() {
        return new PipelineInput(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** s3://bucket/prefix or an absolute worker path: where a diffusers folder can be. */
    static boolean isFolderLocation(String location) {
        return location.matches("s3://[a-z0-9][a-z0-9.-]{1,62}/.+") || location.startsWith("/");
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** Every problem with this input, each naming the field, its value and what is allowed; empty when valid. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (!name.matches("[a-z0-9][a-z0-9._-]{0,62}")) {
            p.add("name '" + name + "': use 1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        for (String s : sources) {
            if (!(s.startsWith("http://") || s.startsWith("https://") || s.matches("s3://[a-z0-9][a-z0-9.-]{1,62}(/.*)?"))) {
                p.add("sources: '" + s + "' is neither an http(s) URL nor s3://bucket/prefix");
            }
        }
        range(p, "maxImages", maxImages, 1, 10_000_000);
        range(p, "maxDepth", maxDepth, 0, 10);
        range(p, "minSide", minSide, 1, 8192);
        range(p, "resolution", resolution, 8, 2048);
        if (!CAPTIONERS.contains(captioner)) {
            p.add("captioner '" + captioner + "': choose one of " + CAPTIONERS);
        }
        if (captioner.equals("csv") && captionsFile.isEmpty()) {
            p.add("captionsFile: the csv captioner needs a CSV/TSV/JSONL of captions (columns url or file, and caption), as s3://bucket/key or a worker path");
        }
        if (captioner.equals("model") && captionModel.isEmpty()) {
            p.add("captionModel: the model captioner needs a folder with encoder.pt, decoder.pt, vocab.txt and captioner.json");
        }
        range(p, "captionBeams", captionBeams, 1, 16);
        if (!TRAINING_MODES.contains(trainingMode)) {
            p.add("trainingMode '" + trainingMode + "': choose one of " + TRAINING_MODES);
        }
        if (trainingMode.equals("large") && !(unlockBaseAt >= 1 && unlockBaseAt < trainSteps)) {
            p.add("unlockBaseAt " + unlockBaseAt + ": trainingMode large needs the step to unlock the base UNet, in [1, trainSteps)");
        } else if (!trainingMode.equals("large") && unlockBaseAt != -1) {
            p.add("unlockBaseAt " + unlockBaseAt + ": only trainingMode large unlocks the base UNet; leave it unset (-1)");
        }
        if (!PRECISIONS.contains(precision)) {
            p.add("precision '" + precision + "': choose one of " + PRECISIONS);
        } else if (trainingMode.equals("large") && !precision.equals("fp32")) {
            p.add("precision " + precision + ": trainingMode large trains the base UNet, whose weights stay float32; use fp32");
        }
        if (!(baseLearningRate > 0 && baseLearningRate < 1)) {
            p.add("baseLearningRate " + baseLearningRate + ": must be in (0, 1)");
        }
        range(p, "reconnectSkipsAt", reconnectSkipsAt, -1, 10_000_000);
        range(p, "stopAfterConvergence", stopAfterConvergence, -1, 10_000_000);
        range(p, "shardsPerRun", shardsPerRun, 1, 100_000);
        if (evalEvery != 0 && !(evalEvery >= 1 && evalEvery < trainSteps)) {
            p.add("evalEvery " + evalEvery + ": evaluates during training every this many steps, in [1, trainSteps); 0 evaluates only the end");
        }
        for (String[] loc : new String[][] {{"captionsFile", captionsFile}, {"captionModel", captionModel}}) {
            if (!loc[1].isEmpty() && !loc[1].matches("s3://[a-z0-9][a-z0-9.-]{1,62}/.+") && !loc[1].startsWith("/")) {
                p.add(loc[0] + " '" + loc[1] + "': use s3://bucket/key or an absolute path on the workers");
            }
        }
        if (!CONDITIONS.contains(condition)) {
            p.add("condition '" + condition + "': choose one of " + CONDITIONS);
        }
        if (MODEL_BACKED_CONDITIONS.contains(condition) && annotatorModel.isEmpty()) {
            p.add("annotatorModel: condition '" + condition + "' needs a TorchScript or ONNX " + (condition.equals("normal") ? "depth" : condition)
                    + " model, as s3://bucket/key or an absolute path on the workers");
        }
        if (!annotatorModel.isEmpty() && !annotatorModel.matches("s3://[a-z0-9][a-z0-9.-]{1,62}/.+") && !annotatorModel.startsWith("/")) {
            p.add("annotatorModel '" + annotatorModel + "': use s3://bucket/key or an absolute path on the workers");
        }
        if (!MODEL_CONFIGS.contains(modelConfig)) {
            p.add("modelConfig '" + modelConfig + "': choose one of " + MODEL_CONFIGS);
        }
        if ("tiny".equals(modelConfig) && !BASE_MODELS.contains(baseModel)) {
            p.add("baseModel '" + baseModel + "': the tiny preset takes one of " + BASE_MODELS);
        } else if (SD_MODEL_CONFIGS.contains(modelConfig)) {
            if (!baseModel.equals("random") && !isFolderLocation(baseModel)) {
                p.add("baseModel '" + baseModel + "': preset " + modelConfig + " needs a diffusers Stable Diffusion folder (unet/, vae/,"
                        + " text_encoder/, tokenizer/) as s3://bucket/prefix/ or an absolute path on the workers, or random");
            }
            if (resolution % 64 != 0) {
                p.add("resolution " + resolution + ": preset " + modelConfig + " needs a multiple of 64 (the VAE's 8x, then the UNet's"
                        + " three halvings); SD1.5 was trained at 512");
            }
        }
        range(p, "trainSteps", trainSteps, 1, 10_000_000);
        range(p, "batchSize", batchSize, 1, 4096);
        if (!(learningRate > 0 && learningRate < 1)) {
            p.add("learningRate " + learningRate + ": must be in (0, 1)");
        }
        range(p, "checkpointEvery", checkpointEvery, 1, 10_000_000);
        range(p, "evalSamples", evalSamples, 1, 1024);
        range(p, "evalSteps", evalSteps, 1, 1000);
        range(p, "probeEvery", probeEvery, 1, 10_000_000);
        if (!(guidanceScale >= 1 && guidanceScale <= 50)) {
            p.add("guidanceScale " + guidanceScale + ": must be in [1, 50]");
        }
        if (!(controlScale >= 0 && controlScale <= 2)) {
            p.add("controlScale " + controlScale + ": must be in [0, 2]");
        }
        if (!(promotionTolerance >= 0 && promotionTolerance <= 1)) {
            p.add("promotionTolerance " + promotionTolerance + ": must be in [0, 1] (a fraction of the gate metric's full scale)");
        }
        if (userPrompt.length() > 1000) {
            p.add("userPrompt: at most 1000 characters");
        }
        range(p, "shardSize", shardSize, 1, 100_000);
        range(p, "parallelShards", parallelShards, 1, 1024);
        if (!(maxAspectRatio >= 1 && maxAspectRatio <= 100)) {
            p.add("maxAspectRatio " + maxAspectRatio + ": must be in [1, 100]");
        }
        if (maxPixels < 64 || maxPixels > 1_000_000_000L) {
            p.add("maxPixels " + maxPixels + ": must be in [64, 1000000000]");
        }
        range(p, "nearDuplicateDistance", nearDuplicateDistance, -1, 32);
        if (!version.isEmpty() && !version.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            p.add("version '" + version + "': use letters, digits, '.', '_' or '-'");
        }
        return p;
    }

    private static void range(List<String> p, String field, int value, int min, int max) {
        if (value < min || value > max) {
            p.add(field + " " + value + ": must be in [" + min + ", " + max + "]");
        }
    }
}
