package dev.cnf.model.controlnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.cnf.model.nn.Functional;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.nn.Conv2dLayer;
import dev.cnf.model.nn.NamedBlock;

import java.util.ArrayList;
import java.util.List;

/**
 * The hint encoder (diffusers ControlNetConditioningEmbedding): conv_in, then per channel step a
 * 3x3 conv and a 3x3 stride-2 conv, all SiLU-activated, and a zero-initialised conv_out into the
 * UNet's first block width. It brings the condition image down to the latent resolution.
 */
public final class ConditioningEmbedding extends NamedBlock {
    private final Conv2dLayer convIn;
    private final List<Conv2dLayer> blocks = new ArrayList<>();
    private final Conv2dLayer convOut;

    public ConditioningEmbedding(int conditioningChannels, List<Integer> channels, int outChannels) {
        convIn = child("conv_in", Conv2dLayer.conv3x3(conditioningChannels, channels.get(0)));
        for (int i = 0; i < channels.size() - 1; i++) {
            int c = channels.get(i);
            blocks.add(child("blocks." + (2 * i), Conv2dLayer.conv3x3(c, c)));
            blocks.add(child("blocks." + (2 * i + 1), new Conv2dLayer(c, channels.get(i + 1), 3, 2, false)));
        }
        convOut = child("conv_out", new Conv2dLayer(channels.get(channels.size() - 1), outChannels, 3, 1, true));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = Functional.silu(convIn.apply(ps, inputs.singletonOrThrow(), training));
        for (Conv2dLayer b : blocks) {
            h = Functional.silu(b.apply(ps, h, training));
        }
        return new NDList(convOut.apply(ps, h, training));
    }
}
