package dev.cnf.model.config;

import java.util.List;

/**
 * Every shape of the UNet / ControlNet pair comes from this record, as in diffusers' config.json.
 *
 * <p>The walking-skeleton {@code tiny} preset works in a space-to-depth "latent" space (a parameter-free 2x pixel
 * unshuffle standing in for AutoencoderKL, whose decoder shrinks each 2x2 cell's detail coefficients by
 * {@link #codecDetailThreshold}: see {@link dev.cnf.model.vae.SpaceToDepthCodec}) and conditions the UNet on a pooled
 * text embedding added to the timestep embedding (a stand-in for cross-attention). Both stand-ins are named as such in
 * {@link #latentCodec} and {@link #textConditioning}.
 */
public record ModelConfig(
        String name,
        int sampleSize,
        int imageChannels,
        int latentFactor,
        List<Integer> blockOutChannels,
        int layersPerBlock,
        int normNumGroups,
        double normEps,
        int textEmbedDim,
        int textVocabSize,
        int maxTextTokens,
        int conditioningChannels,
        List<Integer> conditioningEmbeddingOutChannels,
        String latentCodec,
        double codecDetailThreshold,
        String textConditioning) {

    public ModelConfig {
        blockOutChannels = List.copyOf(blockOutChannels);
        conditioningEmbeddingOutChannels = List.copyOf(conditioningEmbeddingOutChannels);
        int hintStrides = conditioningEmbeddingOutChannels.size() - 1;
        if ((1 << hintStrides) != latentFactor) {
            throw new IllegalArgumentException(
                    "conditioning embedding downsamples by 2^" + hintStrides + " but latentFactor is " + latentFactor);
        }
        for (int c : blockOutChannels) {
            if (c % normNumGroups != 0) {
                throw new IllegalArgumentException("block channels " + c + " not divisible by norm groups " + normNumGroups);
            }
        }
        if (codecDetailThreshold < 0) {
            throw new IllegalArgumentException("codecDetailThreshold " + codecDetailThreshold + " must be >= 0 (0: lossless decoding)");
        }
    }

    /** Channels of the diffusion space: the image channels folded by the space-to-depth factor. */
    public int latentChannels() {
        return imageChannels * latentFactor * latentFactor;
    }

    public int latentSize() {
        return sampleSize / latentFactor;
    }

    /** Width of the timestep embedding, 4x the first block's channels as in diffusers. */
    public int timeEmbedDim() {
        return blockOutChannels.get(0) * 4;
    }

    /** This preset's UNet in diffusers' terms: plain blocks only, pooled-text stand-in conditioning. */
    public UNetConfig unet() {
        int n = blockOutChannels.size();
        return new UNetConfig(latentSize(), latentChannels(), latentChannels(), blockOutChannels,
                java.util.Collections.nCopies(n, UNetConfig.DOWN), java.util.Collections.nCopies(n, UNetConfig.UP),
                UNetConfig.MID_PLAIN, layersPerBlock, 0, java.util.Collections.nCopies(n, 1),
                java.util.Collections.nCopies(n, 1), false, normNumGroups, normEps, true, 0, textEmbedDim);
    }

    public ControlNetConfig controlNet() {
        return new ControlNetConfig(unet(), conditioningChannels, conditioningEmbeddingOutChannels);
    }

    /** The same architecture at another square resolution (must be divisible by the total downsampling). */
    public ModelConfig withSampleSize(int size) {
        int factor = latentFactor * (1 << (blockOutChannels.size() - 1));
        if (size % factor != 0) {
            throw new IllegalArgumentException("resolution " + size + " must be a multiple of " + factor + " for preset " + name);
        }
        return new ModelConfig(name, size, imageChannels, latentFactor, blockOutChannels, layersPerBlock, normNumGroups,
                normEps, textEmbedDim, textVocabSize, maxTextTokens, conditioningChannels, conditioningEmbeddingOutChannels,
                latentCodec, codecDetailThreshold, textConditioning);
    }

    /** Small enough that a training step runs in a fraction of a second on 2 CPU cores. */
    public static ModelConfig tiny() {
        // Three levels: the 8x8 bottleneck lets a 64 px image be generated coherently without attention. The detail
        // threshold 0.05 (6.4 of 255 grey levels) is about 2.5x the spread of the shipped base's sub-pixel errors
        // (grid energy 4.2 -> 0.8, the demo's controlled samples 5.9 -> 1.0; the generator's own images: 1.1, from
        // their edges). It moves no pixel of a flat region and an edge pixel by at most 0.15.
        return new ModelConfig("tiny", 64, 3, 2, List.of(32, 64, 64), 1, 8, 1e-5, 64, 4096, 77, 3,
                List.of(16, 32), "space-to-depth", 0.05, "pooled-hashed-tokens");
    }

    public static ModelConfig preset(String name) {
        if ("tiny".equals(name)) {
            return tiny();
        }
        throw new IllegalArgumentException("unknown model config '" + name + "'; known presets: tiny");
    }
}
