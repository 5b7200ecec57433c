package dev.cnf.model.controlnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.nn.Conv2dLayer;
import dev.cnf.model.nn.NamedBlock;

import java.util.ArrayList;
import java.util.List;

/**
 * The hint encoder as the paper describes it (section 3.3): four 4x4 convolutions, ReLU-activated, 16/32/64/128
 * channels, Gaussian weights ({@link ControlNet#initializeHintEncoderGaussian}), then the zero convolution Z(c_f) into
 * the first block's width (1x1, zero-initialised). The paper gives every convolution stride 2 yet maps 512 px to 64;
 * here the last log2(downsampling) convolutions have stride 2 and the earlier ones keep the size (stride 1, the 4x4
 * kernel padded 1 before and 2 after), so the output meets the latent resolution of any base. Weight names follow
 * diffusers' encoder ({@code conv_in}, {@code blocks.N}, {@code conv_out}); the shapes differ, so diffusers cannot load it.
 */
public final class PaperConditioningEmbedding extends NamedBlock {
    private final List<Conv2dLayer> convs = new ArrayList<>();
    private final List<Boolean> keepsSize = new ArrayList<>();
    private final Conv2dLayer convOut;

    public PaperConditioningEmbedding(int conditioningChannels, List<Integer> channels, int downsampling, int outChannels) {
        int strided = Integer.numberOfTrailingZeros(downsampling);
        int in = conditioningChannels;
        for (int i = 0; i < channels.size(); i++) {
            boolean stride2 = i >= channels.size() - strided;
            String name = i == 0 ? "conv_in" : "blocks." + (i - 1);
            convs.add(child(name, new Conv2dLayer(in, channels.get(i), 4, stride2 ? 2 : 1, stride2 ? 1 : 0, false)));
            keepsSize.add(!stride2);
            in = channels.get(i);
        }
        convOut = child("conv_out", new Conv2dLayer(in, outChannels, 1, 1, true));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = inputs.singletonOrThrow();
        for (int i = 0; i < convs.size(); i++) {
            NDArray x = keepsSize.get(i) ? h.pad(new Shape(1, 2, 1, 2), 0) : h; // (left, right, top, bottom), as torch's F.pad
            h = Activation.relu(convs.get(i).apply(ps, x, training));
        }
        return new NDList(convOut.apply(ps, h, training));
    }
}
