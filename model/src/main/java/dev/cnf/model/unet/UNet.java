package dev.cnf.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.config.UNetConfig;
import dev.cnf.model.nn.Conv2dLayer;
import dev.cnf.model.nn.Functional;
import dev.cnf.model.nn.GroupNorm;
import dev.cnf.model.nn.LinearLayer;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.nn.TimestepEmbedding;

import java.util.ArrayList;
import java.util.List;

/**
 * The denoising UNet, diffusers' UNet2DConditionModel, shaped by a {@link UNetConfig}. Control
 * residuals, when given, are added to the skip connections and the mid-block output, which is how
 * ControlNet steers it.
 */
public final class UNet extends NamedBlock {
    private final ModelConfig preset;
    private final UNetConfig config;
    private final TimestepEmbedding timeEmbedding;
    private final LinearLayer textEmbedding;
    private final Encoder encoder;
    private final List<UpBlock> upBlocks = new ArrayList<>();
    private final GroupNorm convNormOut;
    private final Conv2dLayer convOut;

    /** The pipeline's pixel-space preset (tiny). */
    public UNet(ModelConfig c) {
        this(c.unet(), c);
    }

    public UNet(UNetConfig c) {
        this(c, null);
    }

    private UNet(UNetConfig c, ModelConfig preset) {
        this.preset = preset;
        this.config = c;
        List<Integer> ch = c.blockOutChannels();
        timeEmbedding = child("time_embedding", new TimestepEmbedding(ch.get(0), c.timeEmbedDim(), c.flipSinToCos(), c.freqShift()));
        textEmbedding = c.pooledTextDim() > 0 ? child("text_embedding", new LinearLayer(c.pooledTextDim(), c.timeEmbedDim())) : null;
        encoder = new Encoder(c, this::child);
        List<Integer> pending = new ArrayList<>(encoder.skipChannels);
        int prev = ch.get(ch.size() - 1);
        for (int j = 0; j < ch.size(); j++) {
            int mirrored = ch.size() - 1 - j;
            int out = ch.get(mirrored);
            List<Integer> consumed = new ArrayList<>();
            for (int k = 0; k <= c.layersPerBlock(); k++) {
                consumed.add(pending.remove(pending.size() - 1));
            }
            boolean last = j == ch.size() - 1;
            upBlocks.add(child("up_blocks." + j, new UpBlock(prev, out, consumed, !last, c.timeEmbedDim(), c.normNumGroups(),
                    c.normEps(), c.upHasAttention(j) ? Encoder.attention(c, mirrored) : null)));
            prev = out;
        }
        convNormOut = child("conv_norm_out", new GroupNorm(c.normNumGroups(), ch.get(0), c.normEps()));
        convOut = child("conv_out", Conv2dLayer.conv3x3(ch.get(0), c.outChannels()));
    }

    /** Its diffusers configuration (config.json), however it was built. */
    public UNetConfig config() {
        return config;
    }

    /** The pipeline preset this UNet was built from ({@code tiny}); null when built from a diffusers config. */
    public ModelConfig preset() {
        return preset;
    }

    /**
     * Inference with diffusers' argument names, without gradients: the model output (noise, or velocity under
     * v-prediction) for ({@code sample, timestep, encoder_hidden_states}), with a ControlNet's residuals added when
     * given (null for none).
     *
     * @param timesteps [N], or one timestep for the whole batch (0-dim or [1])
     */
    public NDArray predict(NDArray sample, NDArray timesteps, NDArray encoderHiddenStates,
                           ControlResiduals residuals) {
        dev.cnf.model.nn.GradMode.disableOnThisThread();
        NDList in = new NDList(sample, timesteps, encoderHiddenStates);
        if (residuals != null) {
            in.addAll(residuals.asList());
        }
        return forward(new ParameterStore(sample.getManager(), false), in, false, null).singletonOrThrow();
    }

    public Encoder encoder() {
        return encoder;
    }

    /** Timestep embedding in the sample's type, plus the projected pooled text under cnf's stand-in text conditioning. */
    public NDArray embed(ParameterStore ps, NDArray timesteps, NDArray text, NDArray sample, boolean training) {
        NDArray temb = timeEmbedding.forward(ps, new NDList(timesteps, sample), training, null).singletonOrThrow();
        return textEmbedding == null ? temb : temb.add(textEmbedding.apply(ps, text, training));
    }

    /**
     * inputs: (latents [N,C,h,w], timesteps [N], text — the context [N,S,D] for cross-attention or
     * the pooled vector [N,D] of the stand-in — then optionally the control residuals: one per skip
     * followed by the mid residual). Output: the predicted noise (or velocity, for a v-prediction scheduler).
     */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray text = inputs.get(2);
        NDArray temb = embed(ps, inputs.get(1), text, inputs.get(0), training);
        Encoder.Encoded enc = encoder.run(ps, inputs.get(0), temb, text, null, training);
        NDList skips = enc.skips();
        NDArray h = enc.mid();
        if (inputs.size() > 3) {
            int n = skips.size();
            NDList controlled = new NDList();
            for (int i = 0; i < n; i++) {
                controlled.add(skips.get(i).add(inputs.get(3 + i)));
            }
            skips = controlled;
            h = h.add(inputs.get(3 + n));
        }
        int cursor = skips.size();
        for (UpBlock up : upBlocks) {
            NDList args = new NDList(h, temb, text);
            for (int k = 0; k < up.skipCount(); k++) {
                args.add(skips.get(--cursor));
            }
            h = up.forward(ps, args, training, null).singletonOrThrow();
        }
        return new NDList(convOut.apply(ps, Functional.silu(convNormOut.apply(ps, h, training)), training));
    }
}
