package dev.cnf.model;

import dev.cnf.model.schedulers.SchedulerConfig;
import dev.cnf.model.train.Precision;
import dev.cnf.model.train.DiffusionTrainer;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.DiffusersFolder;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.text.ClipPromptEncoder;
import dev.cnf.model.text.ClipTextModel;
import dev.cnf.model.text.ClipTokenizer;
import dev.cnf.model.text.HashingTextEncoder;
import dev.cnf.model.text.PromptEncoder;
import dev.cnf.model.unet.UNet;
import dev.cnf.model.vae.AutoencoderKL;
import dev.cnf.model.vae.LatentCodec;
import dev.cnf.model.vae.SpaceToDepthCodec;
import dev.cnf.model.vae.VaeCodec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The frozen text-to-image model a ControlNet is trained against: UNet, prompt encoder and latent
 * codec at one image size, plus the shape of the ControlNet that fits it. Either the tiny preset
 * ({@link #load} / {@link #initialize}) or a Stable Diffusion stack ({@link #stableDiffusion},
 * {@link #fromDiffusers}). {@code scheduler} gives the noise schedule training uses and the DDIM timesteps sampling
 * takes: SD1.5's unless a diffusers folder ships its own {@code scheduler/scheduler_config.json}.
 */
public record BaseModel(int sampleSize, UNet unet, PromptEncoder textEncoder, LatentCodec codec, ControlNetConfig controlNetConfig,
                        SchedulerConfig scheduler) {

    /** File names of a tiny base model folder, as diffusers names the sub-models' weights. */
    public static final String UNET_FILE = "unet.safetensors";
    public static final String TEXT_ENCODER_FILE = "text_encoder.safetensors";
    /** The noise schedule a tiny base was trained with, as diffusers' scheduler/scheduler_config.json. */
    public static final String SCHEDULER_FILE = "scheduler_config.json";

    public int latentChannels() {
        return unet.config().inChannels();
    }

    public int latentSize() {
        return sampleSize / codec.downsampling();
    }

    /** The type the frozen base computes in: its UNet's weight type, float32 unless {@link #castTo} changed it. */
    public DataType computeType() {
        return unet.weightType();
    }

    /**
     * Stores the frozen base's weights (UNet, text encoder, VAE) as {@code type}, e.g. bfloat16 for mixed-precision
     * training on a GPU as diffusers' train_controlnet.py does: the base computes in that type; a ControlNet keeps
     * float32 weights, trained through half-precision copies ({@link DiffusionTrainer}) and cast per op when sampling
     * (NamedBlock#value); losses are taken in float32. Cast before the base is used (before its first forward pass).
     */
    public void castTo(DataType type) {
        if (!type.isFloating()) {
            throw new IllegalArgumentException("a model computes in a floating-point type, not " + type);
        }
        Precision.requireEngineSupport(type);
        unet.castParameters(type);
        textEncoder.module().castParameters(type);
        if (codec instanceof VaeCodec v) {
            v.vae().castParameters(type);
        }
    }

    /** A frozen tiny base from weights; every key must match the config's shapes. */
    public static BaseModel load(ModelConfig config, NDManager manager, Map<String, Tensor> unetWeights, Map<String, Tensor> textWeights) {
        BaseModel base = initialize(config, manager, 0);
        Weights.load(base.unet(), unetWeights);
        Weights.load(base.textEncoder().module(), textWeights);
        return base;
    }

    /** The tiny preset as a pure function of (config, seed). */
    public static BaseModel initialize(ModelConfig config, NDManager manager, long seed) {
        UNet unet = new UNet(config);
        unet.initializeParameters(manager, seed);
        HashingTextEncoder text = new HashingTextEncoder(config);
        text.initializeParameters(manager, seed + 1);
        freeze(unet, text);
        return new BaseModel(config.sampleSize(), unet, text, new SpaceToDepthCodec(config.latentFactor(), config.codecDetailThreshold()),
                config.controlNet(), SchedulerConfig.sd15());
    }

    /** A Stable Diffusion stack from already-built (and loaded) parts; all of them frozen. */
    public static BaseModel stableDiffusion(int sampleSize, UNet unet, AutoencoderKL vae, ClipTextModel text, ClipTokenizer tokenizer,
                                            ControlNetConfig controlNet) {
        if (sampleSize % vae.config().downsampling() != 0) {
            throw new IllegalArgumentException("image size " + sampleSize + " is not a multiple of the VAE's factor " + vae.config().downsampling());
        }
        freeze(unet, vae, text);
        return new BaseModel(sampleSize, unet, new ClipPromptEncoder(text, tokenizer), new VaeCodec(vae), controlNet, SchedulerConfig.sd15());
    }

    /** An untrained Stable Diffusion stack of the given shapes (e.g. tiny-sd), seeded; for tests and smoke runs. */
    public static BaseModel initialize(StableDiffusionConfig sd, int sampleSize, NDManager manager, long seed) {
        UNet unet = new UNet(sd.unet());
        unet.initializeParameters(manager, seed);
        AutoencoderKL vae = new AutoencoderKL(sd.vae());
        vae.initializeParameters(manager, seed + 1);
        ClipTextModel text = new ClipTextModel(sd.textEncoder());
        text.initializeParameters(manager, seed + 2);
        ClipTokenizer tokenizer = ClipTokenizer.byteLevel(sd.textEncoder().bosTokenId(), sd.textEncoder().eosTokenId(),
                sd.textEncoder().maxPositionEmbeddings());
        return stableDiffusion(sampleSize, unet, vae, text, tokenizer, sd.controlnet());
    }

    /**
     * A diffusers pipeline folder ({@code unet/}, {@code vae/}, {@code text_encoder/}, {@code tokenizer/}),
     * e.g. a local copy of stable-diffusion-v1-5. The ControlNet gets the UNet's shapes and the standard
     * hint encoder cut to the VAE's downsampling.
     */
    public static BaseModel fromDiffusers(Path root, int sampleSize, NDManager manager) throws IOException {
        for (String part : List.of("unet", "vae", "text_encoder", "tokenizer")) {
            if (!Files.isDirectory(root.resolve(part))) {
                throw new IOException(root + " is not a diffusers Stable Diffusion folder: no " + part + "/");
            }
        }
        UNet unet = DiffusersFolder.loadUNet(root.resolve("unet"), manager);
        AutoencoderKL vae = DiffusersFolder.loadVae(root.resolve("vae"), manager);
        ClipTextModel text = DiffusersFolder.loadTextEncoder(root.resolve("text_encoder"), manager);
        ClipTokenizer tokenizer = ClipTokenizer.load(root.resolve("tokenizer"), text.config().maxPositionEmbeddings());
        BaseModel base = stableDiffusion(sampleSize, unet, vae, text, tokenizer, hintEncoderFor(unet, vae));
        Path scheduler = root.resolve("scheduler").resolve("scheduler_config.json");
        if (!Files.isRegularFile(scheduler)) {
            return base;
        }
        try {
            return base.withScheduler(SchedulerConfig.fromJson(Files.readString(scheduler)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(scheduler + ": " + e.getMessage(), e);
        }
    }

    /** The same base with another scheduler config. */
    public BaseModel withScheduler(SchedulerConfig config) {
        return new BaseModel(sampleSize, unet, textEncoder, codec, controlNetConfig, config);
    }

    /** SD1.5's hint encoder channels (16, 32, 96, 256), cut to one stride-2 step per VAE halving. */
    static ControlNetConfig hintEncoderFor(UNet unet, AutoencoderKL vae) {
        int steps = Integer.numberOfTrailingZeros(vae.config().downsampling());
        List<Integer> sd15 = List.of(16, 32, 96, 256);
        if (steps > 3) {
            throw new IllegalArgumentException("VAE downsamples by " + vae.config().downsampling() + "; the hint encoder supports up to 8");
        }
        return new ControlNetConfig(unet.config(), 3, sd15.subList(0, steps + 1));
    }

    private static void freeze(NamedBlock... blocks) {
        for (NamedBlock b : blocks) {
            b.namedParameters().values().forEach(p -> p.freeze(true));
        }
    }

    /** A fresh ControlNet: trainable copy of the encoder, seeded hint encoder, zero convolutions. */
    public ControlNet newControlNet(NDManager manager, long seed) {
        ControlNet cn = new ControlNet(controlNetConfig);
        cn.initializeParameters(manager, seed);
        cn.copyEncoderFrom(unet);
        if (controlNetConfig.paperHintEncoder()) {
            cn.initializeHintEncoderGaussian(seed + 2);
        }
        return cn;
    }

    /** The same base whose ControlNets take the paper's hint encoder ({@code paper}) or diffusers' ({@code diffusers}). */
    public BaseModel withHintEncoder(String kind) {
        return new BaseModel(sampleSize, unet, textEncoder, codec, controlNetConfig.withHintEncoder(kind), scheduler);
    }
}
