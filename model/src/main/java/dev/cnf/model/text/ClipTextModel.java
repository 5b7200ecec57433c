package dev.cnf.model.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.config.ClipTextConfig;
import dev.cnf.model.nn.Attention;
import dev.cnf.model.nn.EmbeddingLayer;
import dev.cnf.model.nn.Functional;
import dev.cnf.model.nn.LayerNormLayer;
import dev.cnf.model.nn.LinearLayer;
import dev.cnf.model.nn.NamedBlock;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * transformers' CLIPTextModel with its parameter names ({@code text_model.embeddings.token_embedding},
 * {@code text_model.encoder.layers.N.self_attn.q_proj}, …): token + position embeddings, pre-norm
 * causal transformer layers, final LayerNorm. Output: last_hidden_state [N, L, hidden], which is what
 * SD1.x cross-attends to.
 */
public final class ClipTextModel extends NamedBlock {
    private final ClipTextConfig config;
    private final EmbeddingLayer tokens;
    private final EmbeddingLayer positions;
    private final List<Layer> layers = new ArrayList<>();
    private final LayerNormLayer finalNorm;

    public ClipTextModel(ClipTextConfig c) {
        this.config = c;
        tokens = child("text_model.embeddings.token_embedding", new EmbeddingLayer(c.vocabSize(), c.hiddenSize()));
        positions = child("text_model.embeddings.position_embedding", new EmbeddingLayer(c.maxPositionEmbeddings(), c.hiddenSize()));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            layers.add(child("text_model.encoder.layers." + i, new Layer(c)));
        }
        finalNorm = child("text_model.final_layer_norm", new LayerNormLayer(c.hiddenSize(), c.layerNormEps()));
    }

    public ClipTextConfig config() {
        return config;
    }

    /** inputs: token ids [N, L] (L ≤ max_position_embeddings); output: last_hidden_state [N, L, hidden]. */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        int length = Math.toIntExact(ids.getShape().get(1));
        if (length > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("CLIP text model takes at most " + config.maxPositionEmbeddings() + " tokens, got " + length);
        }
        NDArray pos = ids.getManager().arange(0, length, 1, ai.djl.ndarray.types.DataType.INT64).expandDims(0);
        NDArray h = tokens.apply(ps, ids, training).add(positions.apply(ps, pos, training));
        NDArray mask = causalMask(ids, length);
        for (Layer layer : layers) {
            h = layer.forward(ps, new NDList(h, mask), training, null).singletonOrThrow();
        }
        return new NDList(finalNorm.apply(ps, h, training));
    }

    private static NDArray causalMask(NDArray like, int length) {
        float[] m = new float[length * length];
        for (int i = 0; i < length; i++) {
            Arrays.fill(m, i * length + i + 1, (i + 1) * length, Float.NEGATIVE_INFINITY);
        }
        return like.getManager().create(m, new Shape(length, length));
    }

    /** CLIPEncoderLayer: x + self_attn(layer_norm1(x)), then x + mlp(layer_norm2(x)). */
    static final class Layer extends NamedBlock {
        private final int heads;
        private final int headDim;
        private final boolean quickGelu;
        private final LayerNormLayer norm1;
        private final LinearLayer q;
        private final LinearLayer k;
        private final LinearLayer v;
        private final LinearLayer out;
        private final LayerNormLayer norm2;
        private final LinearLayer fc1;
        private final LinearLayer fc2;

        Layer(ClipTextConfig c) {
            int d = c.hiddenSize();
            heads = c.numAttentionHeads();
            headDim = d / heads;
            quickGelu = c.hiddenAct().equals("quick_gelu");
            q = child("self_attn.q_proj", new LinearLayer(d, d));
            k = child("self_attn.k_proj", new LinearLayer(d, d));
            v = child("self_attn.v_proj", new LinearLayer(d, d));
            out = child("self_attn.out_proj", new LinearLayer(d, d));
            norm1 = child("layer_norm1", new LayerNormLayer(d, c.layerNormEps()));
            fc1 = child("mlp.fc1", new LinearLayer(d, c.intermediateSize()));
            fc2 = child("mlp.fc2", new LinearLayer(c.intermediateSize(), d));
            norm2 = child("layer_norm2", new LayerNormLayer(d, c.layerNormEps()));
        }

        /** inputs: (x [N,L,D], causal mask [L,L]). */
        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray x = inputs.get(0);
            NDArray h = norm1.apply(ps, x, training);
            NDArray attended = Attention.scaledDotProduct(q.apply(ps, h, training), k.apply(ps, h, training),
                    v.apply(ps, h, training), heads, headDim, inputs.get(1));
            x = x.add(out.apply(ps, attended, training));
            NDArray m = fc1.apply(ps, norm2.apply(ps, x, training), training);
            m = quickGelu ? Functional.quickGelu(m) : Functional.gelu(m);
            return new NDList(x.add(fc2.apply(ps, m, training)));
        }
    }
}
