package dev.cnf.model.controlnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.config.UNetConfig;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.nn.Conv2dLayer;
import dev.cnf.model.nn.LinearLayer;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.nn.Scalars;
import dev.cnf.model.nn.TimestepEmbedding;
import dev.cnf.model.unet.ControlResiduals;
import dev.cnf.model.unet.Encoder;
import dev.cnf.model.unet.UNet;

import java.util.ArrayList;
import java.util.List;

/**
 * ControlNetModel: a trainable copy of the UNet's embedding + encoder + mid block, fed the hint
 * through {@link ConditioningEmbedding}, emitting one zero-conv residual per UNet skip
 * ({@code controlnet_down_blocks.N}) and one for the mid block ({@code controlnet_mid_block}).
 */
public final class ControlNet extends NamedBlock {
    private final ControlNetConfig config;
    private final TimestepEmbedding timeEmbedding;
    private final LinearLayer textEmbedding;
    private final Encoder encoder;
    private final NamedBlock condEmbedding;
    private final List<Conv2dLayer> zeroConvs = new ArrayList<>();
    private final Conv2dLayer midZeroConv;

    /** The pipeline's pixel-space preset (tiny). */
    public ControlNet(ModelConfig c) {
        this(c.controlNet());
    }

    public ControlNet(ControlNetConfig cc) {
        this.config = cc;
        var c = cc.unet();
        List<Integer> ch = c.blockOutChannels();
        timeEmbedding = child("time_embedding", new TimestepEmbedding(ch.get(0), c.timeEmbedDim(), c.flipSinToCos(), c.freqShift()));
        textEmbedding = c.pooledTextDim() > 0 ? child("text_embedding", new LinearLayer(c.pooledTextDim(), c.timeEmbedDim())) : null;
        encoder = new Encoder(c, this::child);
        condEmbedding = child("controlnet_cond_embedding", cc.paperHintEncoder()
                ? new PaperConditioningEmbedding(cc.conditioningChannels(), cc.conditioningEmbeddingOutChannels(), cc.hintDownsampling(), ch.get(0))
                : new ConditioningEmbedding(cc.conditioningChannels(), cc.conditioningEmbeddingOutChannels(), ch.get(0)));
        for (int i = 0; i < encoder.skipChannels.size(); i++) {
            zeroConvs.add(child("controlnet_down_blocks." + i, Conv2dLayer.zeroConv(encoder.skipChannels.get(i))));
        }
        midZeroConv = child("controlnet_mid_block", Conv2dLayer.zeroConv(ch.get(ch.size() - 1)));
    }

    public ControlNetConfig controlNetConfig() {
        return config;
    }

    /**
     * The paper's ablation of zero convolutions: the 1x1 convolutions that join the ControlNet to the UNet
     * ({@code controlnet_down_blocks.N}, {@code controlnet_mid_block}) drawn as standard layers instead, weights from
     * N(0, 1/fan_in) (LeCun normal, seeded), biases 0. The wrapped model then no longer equals its base before training.
     */
    public void initializeJoinsGaussian(long seed) {
        redrawGaussian(name -> name.startsWith("controlnet_down_blocks.") || name.startsWith("controlnet_mid_block."), 1, seed);
    }

    /**
     * The paper's hint encoder starts from Gaussian weights: its 4x4 convolutions from N(0, 2/fan_in) (He normal, for
     * the ReLUs that follow them), biases 0; its zero convolution ({@code conv_out}) stays zero.
     */
    public void initializeHintEncoderGaussian(long seed) {
        redrawGaussian(name -> name.startsWith("controlnet_cond_embedding.") && !name.startsWith("controlnet_cond_embedding.conv_out."), 2, seed);
    }

    /** Weights of the matching parameters from N(0, gain/fan_in), seeded; their biases 0. */
    private void redrawGaussian(java.util.function.Predicate<String> which, double gain, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        java.util.Map<String, Tensor> weights = Weights.export(this);
        weights.replaceAll((name, t) -> {
            if (!which.test(name)) {
                return t;
            }
            float[] data = new float[t.data().length];
            if (name.endsWith(".weight")) {
                long fanIn = t.shape()[1] * t.shape()[2] * t.shape()[3];
                double std = Math.sqrt(gain / fanIn);
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (random.nextGaussian() * std);
                }
            }
            return new Tensor(t.shape(), data);
        });
        Weights.load(this, weights);
    }

    /**
     * The parameters diffusers' ControlNetModel, built from this config.json, has no place for (empty for the Stable
     * Diffusion presets): the pooled-text projection of cnf's stand-in text conditioning ({@code text_embedding.*}), and,
     * for a middle block without attention, the second resnet ({@code mid_block.resnets.1.*}: diffusers builds
     * UNetMidBlock2D there with one resnet). A non-strict {@code from_pretrained} would drop these and run another
     * network; the model card names them. With the paper's hint encoder, diffusers builds its own encoder (3x3, with the
     * same channel list) under the same names: it refuses the paper's weights whose shapes differ or which it lacks (two
     * biases happen to fit), and lacks weights of its own, so a strict load fails.
     */
    public List<String> parametersDiffusersCannotLoad() {
        boolean plainMid = UNetConfig.MID_PLAIN.equals(config.unet().midBlockType());
        java.util.Map<String, ai.djl.nn.Parameter> ours = namedParameters();
        java.util.Map<String, ai.djl.nn.Parameter> diffusersEncoder = config.paperHintEncoder()
                ? new ControlNet(new ControlNetConfig(config.unet(), config.conditioningChannels(), config.conditioningEmbeddingOutChannels()))
                        .namedParameters() : ours;
        return ours.keySet().stream()
                .filter(k -> k.startsWith("text_embedding.") || (plainMid && k.startsWith("mid_block.resnets.1."))
                        || (k.startsWith("controlnet_cond_embedding.") && (!diffusersEncoder.containsKey(k)
                                || !diffusersEncoder.get(k).getShape().equals(ours.get(k).getShape()))))
                .sorted().toList();
    }

    /**
     * The paper's small-scale mode: only the middle block's residual reaches the UNet; the 12 skip residuals
     * are zero until {@link #connectSkips}. A run-time switch, not a weight: trainer, probes and samplers see the same.
     */
    private volatile boolean skipsConnected = true;

    public void connectSkips(boolean connected) {
        skipsConnected = connected;
    }

    public boolean skipsConnected() {
        return skipsConnected;
    }

    /** The paper's trainable copy: start from the base UNet's encoder weights. */
    public void copyEncoderFrom(UNet unet) {
        copyFrom(unet.namedParameters(), "");
    }

    /**
     * inputs: (latents, timesteps, text (context or pooled), condition image [N,3,H,W] in [0,1]); the
     * control scale is applied to every residual. Output: one residual per UNet skip, then the mid residual.
     */
    public NDList residuals(ParameterStore ps, NDList inputs, float scale, boolean training) {
        NDList out = forward(ps, inputs, training, null);
        if (scale == 1f) {
            return out;
        }
        NDList scaled = new NDList();
        for (NDArray r : out) {
            scaled.add(Scalars.mul(r, scale));
        }
        return scaled;
    }

    /**
     * Inference with diffusers' argument names, without gradients ({@code controlnet(sample, timestep,
     * encoder_hidden_states, controlnet_cond, conditioning_scale)}).
     *
     * @param timesteps       [N], or one timestep for the whole batch (0-dim or [1])
     * @param controlnetCond  the condition image [N,3,H,W] in [0, 1] at the image resolution
     */
    public ControlResiduals predict(NDArray sample, NDArray timesteps, NDArray encoderHiddenStates, NDArray controlnetCond,
                             float conditioningScale) {
        dev.cnf.model.nn.GradMode.disableOnThisThread();
        NDList r = residuals(new ParameterStore(sample.getManager(), false),
                new NDList(sample, timesteps, encoderHiddenStates, controlnetCond), conditioningScale, false);
        return new ControlResiduals(r.subList(0, r.size() - 1), r.get(r.size() - 1));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray text = inputs.get(2);
        NDArray temb = timeEmbedding.forward(ps, new NDList(inputs.get(1), inputs.get(0)), training, null).singletonOrThrow();
        if (textEmbedding != null) {
            temb = temb.add(textEmbedding.apply(ps, text, training));
        }
        NDArray hint = condEmbedding.apply(ps, inputs.get(3), training);
        Encoder.Encoded enc = encoder.run(ps, inputs.get(0), temb, text, hint, training);
        NDList out = new NDList();
        for (int i = 0; i < zeroConvs.size(); i++) {
            NDArray r = zeroConvs.get(i).apply(ps, enc.skips().get(i), training);
            out.add(skipsConnected ? r : r.zerosLike()); // disconnected: no signal, no gradient
        }
        out.add(midZeroConv.apply(ps, enc.mid(), training));
        return out;
    }
}
