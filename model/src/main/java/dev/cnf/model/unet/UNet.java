package dev.cnf.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.cnf.model.nn.Functional;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.nn.Conv2dLayer;
import dev.cnf.model.nn.GroupNorm;
import dev.cnf.model.nn.LinearLayer;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.nn.TimestepEmbedding;

import java.util.ArrayList;
import java.util.List;

/**
 * The denoising UNet (diffusers UNet2DConditionModel naming). Control residuals, when given, are
 * added to the skip connections and the mid-block output, which is how ControlNet steers it.
 */
public final class UNet extends NamedBlock {
    private final ModelConfig config;
    private final TimestepEmbedding timeEmbedding;
    private final LinearLayer textEmbedding;
    private final Encoder encoder;
    private final List<UpBlock> upBlocks = new ArrayList<>();
    private final GroupNorm convNormOut;
    private final Conv2dLayer convOut;

    public UNet(ModelConfig c) {
        this.config = c;
        List<Integer> ch = c.blockOutChannels();
        timeEmbedding = child("time_embedding", new TimestepEmbedding(ch.get(0), c.timeEmbedDim()));
        textEmbedding = child("text_embedding", new LinearLayer(c.textEmbedDim(), c.timeEmbedDim()));
        encoder = new Encoder(c, this::child);
        List<Integer> pending = new ArrayList<>(encoder.skipChannels);
        int prev = ch.get(ch.size() - 1);
        for (int j = 0; j < ch.size(); j++) {
            int out = ch.get(ch.size() - 1 - j);
            List<Integer> consumed = new ArrayList<>();
            for (int k = 0; k <= c.layersPerBlock(); k++) {
                consumed.add(pending.remove(pending.size() - 1));
            }
            boolean last = j == ch.size() - 1;
            upBlocks.add(child("up_blocks." + j, new UpBlock(prev, out, consumed, !last,
                    c.timeEmbedDim(), c.normNumGroups(), c.normEps())));
            prev = out;
        }
        convNormOut = child("conv_norm_out", new GroupNorm(c.normNumGroups(), ch.get(0), c.normEps()));
        convOut = child("conv_out", Conv2dLayer.conv3x3(ch.get(0), c.latentChannels()));
    }

    public ModelConfig config() {
        return config;
    }

    public Encoder encoder() {
        return encoder;
    }

    /** Timestep embedding plus the projected pooled text embedding. */
    public NDArray embed(ParameterStore ps, NDArray timesteps, NDArray text, boolean training) {
        return timeEmbedding.apply(ps, timesteps, training).add(textEmbedding.apply(ps, text, training));
    }

    /**
     * inputs: (latents [N,C,h,w], timesteps [N], pooled text [N,D], then optionally the control
     * residuals: one per skip followed by the mid residual). Output: predicted noise.
     */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray temb = embed(ps, inputs.get(1), inputs.get(2), training);
        Encoder.Encoded enc = encoder.run(ps, inputs.get(0), temb, null, training);
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
            NDList args = new NDList(h, temb);
            for (int k = 0; k < up.skipCount(); k++) {
                args.add(skips.get(--cursor));
            }
            h = up.forward(ps, args, training, null).singletonOrThrow();
        }
        return new NDList(convOut.apply(ps, Functional.silu(convNormOut.apply(ps, h, training)), training));
    }
}
