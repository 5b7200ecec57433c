package dev.cnf.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import dev.cnf.model.config.UNetConfig;
import dev.cnf.model.nn.Conv2dLayer;
import dev.cnf.model.nn.NamedBlock;

import java.util.ArrayList;
import java.util.List;

/**
 * The part the UNet and its ControlNet share: conv_in → down blocks → mid block. The ControlNet is a
 * trainable copy of exactly these weights, so both are built by this one helper.
 */
public final class Encoder {
    public final Conv2dLayer convIn;
    public final List<DownBlock> downBlocks = new ArrayList<>();
    public final MidBlock midBlock;
    /** Channels of each skip tensor, in emission order (conv_in output first). */
    public final List<Integer> skipChannels = new ArrayList<>();

    /** Registers conv_in, down_blocks.N and mid_block as children of the owner via {@code register}. */
    public Encoder(UNetConfig c, Registrar register) {
        List<Integer> ch = c.blockOutChannels();
        convIn = register.add("conv_in", Conv2dLayer.conv3x3(c.inChannels(), ch.get(0)));
        skipChannels.add(ch.get(0));
        int prev = ch.get(0);
        for (int i = 0; i < ch.size(); i++) {
            boolean last = i == ch.size() - 1;
            DownBlock block = register.add("down_blocks." + i, new DownBlock(prev, ch.get(i), c.layersPerBlock(), !last,
                    c.timeEmbedDim(), c.normNumGroups(), c.normEps(), c.downHasAttention(i) ? attention(c, i) : null));
            downBlocks.add(block);
            for (int k = 0; k < block.skipCount(); k++) {
                skipChannels.add(ch.get(i));
            }
            prev = ch.get(i);
        }
        int lastBlock = ch.size() - 1;
        midBlock = register.add("mid_block", new MidBlock(prev, c.timeEmbedDim(), c.normNumGroups(), c.normEps(),
                c.midHasAttention() ? attention(c, lastBlock) : null));
    }

    /** The Transformer2DModel shape of down block {@code i} (up blocks use the mirrored index). */
    static AttentionSpec attention(UNetConfig c, int i) {
        return new AttentionSpec(c.attentionHeads().get(i), c.transformerLayersPerBlock().get(i), c.crossAttentionDim(),
                c.normNumGroups(), c.useLinearProjection());
    }

    /** Runs the encoder; {@code hint} (may be null) is added after conv_in as ControlNet does. */
    public Encoded run(ParameterStore ps, NDArray sample, NDArray temb, NDArray context, NDArray hint, boolean training) {
        NDArray h = convIn.apply(ps, sample, training);
        if (hint != null) {
            h = h.add(hint);
        }
        NDList skips = new NDList(h);
        for (DownBlock block : downBlocks) {
            NDList out = block.forward(ps, new NDList(h, temb, context), training, null);
            skips.addAll(out);
            h = out.get(out.size() - 1);
        }
        NDArray mid = midBlock.forward(ps, new NDList(h, temb, context), training, null).singletonOrThrow();
        return new Encoded(skips, mid);
    }

    public record Encoded(NDList skips, NDArray mid) {}

    /** Lets the owning block register children through its protected API. */
    @FunctionalInterface
    public interface Registrar {
        <B extends NamedBlock> B add(String name, B block);
    }
}
