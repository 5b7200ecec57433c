package dev.cnf.model.train;

import ai.djl.ndarray.NDManager;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.text.HashingTextEncoder;
import dev.cnf.model.unet.UNet;
import dev.cnf.model.vae.SpaceToDepthCodec;

/**
 * The frozen text-to-image model a ControlNet is trained against. Until base weights are loaded
 * (`cnf pretrain`, later issue), {@link #initialize} makes it a pure function of (config, seed), so
 * training and evaluation on different workers rebuild the very same base.
 */
public record BaseModel(ModelConfig config, UNet unet, HashingTextEncoder textEncoder, SpaceToDepthCodec codec) {

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
