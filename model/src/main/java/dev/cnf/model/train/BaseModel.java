package dev.cnf.model.train;

import ai.djl.ndarray.NDManager;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.text.HashingTextEncoder;
import dev.cnf.model.unet.UNet;
import dev.cnf.model.vae.SpaceToDepthCodec;

import java.util.Map;

/**
 * The frozen text-to-image model a ControlNet is trained against: either loaded from weights
 * ({@link #load}, e.g. the shipped base that `cnf pretrain` made) or, for tests, a pure function of
 * (config, seed) ({@link #initialize}).
 */
public record BaseModel(ModelConfig config, UNet unet, HashingTextEncoder textEncoder, SpaceToDepthCodec codec) {

    /** File names of a base model folder, as diffusers names the sub-models' weights. */
    public static final String UNET_FILE = "unet.safetensors";
    public static final String TEXT_ENCODER_FILE = "text_encoder.safetensors";

    /** A frozen base from weights; every key must match the config's shapes. */
    public static BaseModel load(ModelConfig config, NDManager manager, Map<String, Tensor> unetWeights, Map<String, Tensor> textWeights) {
        BaseModel base = initialize(config, manager, 0);
        Weights.load(base.unet(), unetWeights);
        Weights.load(base.textEncoder(), textWeights);
        return base;
    }

    public static BaseModel initialize(ModelConfig config, NDManager manager, long seed) {
        UNet unet = new UNet(config);
        unet.initializeParameters(manager, seed);
        HashingTextEncoder text = new HashingTextEncoder(config);
        text.initializeParameters(manager, seed + 1);
        unet.namedParameters().values().forEach(p -> p.freeze(true));
        text.namedParameters().values().forEach(p -> p.freeze(true));
        return new BaseModel(config, unet, text, new SpaceToDepthCodec(config.latentFactor()));
    }

    /** A fresh ControlNet: trainable copy of the encoder, seeded hint encoder, zero convolutions. */
    public ControlNet newControlNet(NDManager manager, long seed) {
        ControlNet cn = new ControlNet(config);
        cn.initializeParameters(manager, seed);
        cn.copyEncoderFrom(unet);
        return cn;
    }
}
