package dev.cnf.model.unet;

import dev.cnf.model.nn.Transformer2D;

/** How a cross-attention block's Transformer2DModel is shaped; null where a block has no attention. */
public record AttentionSpec(int heads, int layers, int contextDim, int groups, boolean linearProjection) {
    Transformer2D build(int channels) {
        return new Transformer2D(channels, heads, layers, contextDim, groups, linearProjection);
    }
}
