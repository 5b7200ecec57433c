package dev.cnf.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.config.AutoencoderConfig;
import dev.cnf.model.nn.Attention;
import dev.cnf.model.nn.Conv2dLayer;
import dev.cnf.model.nn.Downsample;
import dev.cnf.model.nn.Functional;
import dev.cnf.model.nn.GroupNorm;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.nn.ResnetBlock;
import dev.cnf.model.nn.Upsample;
import dev.cnf.model.nn.Scalars;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' AutoencoderKL: {@code encoder}, {@code quant_conv}, {@code post_quant_conv},
 * {@code decoder}. <b>Unlike diffusers' {@code encode}/{@code decode}</b>, which give and take unscaled latents and leave
 * {@code vae.config.scaling_factor} to the pipeline, {@link #encode} returns the posterior mean (or a sample from it)
 * already multiplied by the scaling factor, and {@link #decode} divides by it first: the latents as the UNet sees
 * them. diffusers' {@code vae.encode(x).latent_dist.mean} is {@code posterior(...).get(0)} here, and diffusers'
 * {@code vae.decode(z)} is {@code decode(z * scaling_factor)}.
 */
public final class AutoencoderKL extends NamedBlock {
    private static final double EPS = 1e-6; // diffusers' Encoder/Decoder hard-code it

    private final AutoencoderConfig config;
    private final Coder encoder;
    private final Conv2dLayer quantConv;
    private final Conv2dLayer postQuantConv;
    private final Coder decoder;

    public AutoencoderKL(AutoencoderConfig c) {
        this.config = c;
        encoder = child("encoder", Coder.encoder(c));
        decoder = child("decoder", Coder.decoder(c));
        quantConv = child("quant_conv", new Conv2dLayer(2 * c.latentChannels(), 2 * c.latentChannels(), 1, 1, false));
        postQuantConv = child("post_quant_conv", new Conv2dLayer(c.latentChannels(), c.latentChannels(), 1, 1, false));
    }

    public AutoencoderConfig config() {
        return config;
    }

    /** images [N,3,H,W] in [-1,1] → the diagonal Gaussian's (mean, logvar), each [N,latent,H/f,W/f]. */
    public NDList posterior(ParameterStore ps, NDArray images, boolean training) {
        NDArray moments = quantConv.apply(ps, encoder.apply(ps, images, training), training);
        NDList halves = moments.split(2, 1);
        return new NDList(halves.get(0), Scalars.clip(halves.get(1), -30f, 20f));
    }

    /**
     * Latents times {@code scaling_factor} (diffusers returns them unscaled): the posterior mean, or mean + std·noise
     * when {@code noise} is given.
     */
    public NDArray encode(ParameterStore ps, NDArray images, NDArray noise, boolean training) {
        NDList p = posterior(ps, images, training);
        NDArray z = noise == null ? p.get(0) : p.get(0).add(Scalars.mul(p.get(1), 0.5f).exp().mul(noise));
        return Scalars.mul(z, (float) config.scalingFactor());
    }

    /** Latents times {@code scaling_factor} (diffusers takes them unscaled) → images in about [-1, 1]. */
    public NDArray decode(ParameterStore ps, NDArray latents, boolean training) {
        NDArray z = Scalars.div(latents, (float) config.scalingFactor());
        return decoder.apply(ps, postQuantConv.apply(ps, z, training), training);
    }

    /** inputs: images; output: reconstruction through the posterior mean. */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(decode(ps, encode(ps, inputs.singletonOrThrow(), null, training), training));
    }

    /** The Encoder or Decoder: conv_in, resolution blocks, mid block (resnet, attention, resnet), norm, conv_out. */
    static final class Coder extends NamedBlock {
        private final Conv2dLayer convIn;
        private final List<NamedBlock> stages = new ArrayList<>();
        private final ResnetBlock mid1;
        private final Attention midAttention;
        private final ResnetBlock mid2;
        private final GroupNorm normOut;
        private final Conv2dLayer convOut;
        private final boolean isEncoder;

        private Coder(AutoencoderConfig c, boolean isEncoder) {
            this.isEncoder = isEncoder;
            List<Integer> ch = c.blockOutChannels();
            int g = c.normNumGroups();
            int n = ch.size();
            int top = ch.get(n - 1);
            if (isEncoder) {
                convIn = child("conv_in", Conv2dLayer.conv3x3(c.inChannels(), ch.get(0)));
                int prev = ch.get(0);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < c.layersPerBlock(); j++) {
                        stages.add(child("down_blocks." + i + ".resnets." + j, new ResnetBlock(j == 0 ? prev : ch.get(i), ch.get(i), 0, g, EPS)));
                    }
                    if (i < n - 1) {
                        stages.add(child("down_blocks." + i + ".downsamplers.0", new Downsample(ch.get(i), true)));
                    }
                    prev = ch.get(i);
                }
            } else {
                convIn = child("conv_in", Conv2dLayer.conv3x3(c.latentChannels(), top));
            }
            mid1 = child("mid_block.resnets.0", new ResnetBlock(top, top, 0, g, EPS));
            midAttention = child("mid_block.attentions.0", Attention.spatial(top, g));
            mid2 = child("mid_block.resnets.1", new ResnetBlock(top, top, 0, g, EPS));
            if (!isEncoder) {
                int prev = top;
                for (int i = 0; i < n; i++) {
                    int out = ch.get(n - 1 - i);
                    for (int j = 0; j <= c.layersPerBlock(); j++) {
                        stages.add(child("up_blocks." + i + ".resnets." + j, new ResnetBlock(j == 0 ? prev : out, out, 0, g, EPS)));
                    }
                    if (i < n - 1) {
                        stages.add(child("up_blocks." + i + ".upsamplers.0", new Upsample(out)));
                    }
                    prev = out;
                }
            }
            int last = isEncoder ? top : ch.get(0);
            normOut = child("conv_norm_out", new GroupNorm(g, last, EPS));
            convOut = child("conv_out", Conv2dLayer.conv3x3(last, isEncoder ? 2 * c.latentChannels() : c.outChannels()));
        }

        static Coder encoder(AutoencoderConfig c) {
            return new Coder(c, true);
        }

        static Coder decoder(AutoencoderConfig c) {
            return new Coder(c, false);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray h = convIn.apply(ps, inputs.singletonOrThrow(), training);
            if (isEncoder) {
                h = runStages(ps, h, training);
            }
            h = mid2.apply(ps, midAttention.apply(ps, mid1.apply(ps, h, null, training), training), null, training);
            if (!isEncoder) {
                h = runStages(ps, h, training);
            }
            return new NDList(convOut.apply(ps, Functional.silu(normOut.apply(ps, h, training)), training));
        }

        private NDArray runStages(ParameterStore ps, NDArray h, boolean training) {
            for (NamedBlock b : stages) {
                h = b instanceof ResnetBlock r ? r.apply(ps, h, null, training) : b.apply(ps, h, training);
            }
            return h;
        }
    }
}
