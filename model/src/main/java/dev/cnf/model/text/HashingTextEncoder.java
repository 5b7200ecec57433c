package dev.cnf.model.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.nn.NamedBlock;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * STAND-IN for the CLIP text encoder in the {@code tiny} preset: words and adjacent word pairs are
 * hashed (FNV-1a) into a frozen embedding table and mean-pooled; the pairs keep some word order
 * ("red circle" vs "red background") that a plain bag of words loses. The empty prompt maps to the zero vector, which is what
 * classifier-free guidance uses as "unconditional". Replaced by CLIP ViT-L/14 for real presets.
 */
public final class HashingTextEncoder extends NamedBlock implements PromptEncoder {
    private final ModelConfig config;
    private final ai.djl.nn.Parameter table;

    public HashingTextEncoder(ModelConfig config) {
        this.config = config;
        table = param("token_embedding.weight", new Shape(config.textVocabSize(), config.textEmbedDim()),
                Init.UNIFORM_FAN_IN, 1);
    }

    /** Hashing and a mean over table rows: cheaper than a round trip to the store. */
    @Override
    public boolean worthStoring() {
        return false;
    }

    /** Lower-cased word tokens, at most maxTextTokens of them. */
    public List<String> tokenize(String prompt) {
        List<String> tokens = new ArrayList<>();
        for (String t : prompt.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!t.isEmpty() && tokens.size() < config.maxTextTokens()) {
                tokens.add(t);
            }
        }
        return tokens;
    }

    /** The words and each adjacent pair of words. */
    static List<String> features(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens);
        for (int i = 0; i + 1 < tokens.size(); i++) {
            out.add(tokens.get(i) + " " + tokens.get(i + 1));
        }
        return out;
    }

    static int bucket(String token, int vocab) {
        int h = 0x811c9dc5;
        for (byte b : token.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x01000193;
        }
        return Math.floorMod(h, vocab);
    }

    @Override
    public NamedBlock module() {
        return this;
    }

    /** Pooled embeddings [N, D] for a batch of prompts, created in {@code manager}. */
    @Override
    public NDArray encode(ParameterStore ps, NDManager manager, List<String> prompts) {
        int vocab = config.textVocabSize();
        float[] weights = new float[prompts.size() * vocab];
        for (int i = 0; i < prompts.size(); i++) {
            List<String> features = features(tokenize(prompts.get(i)));
            for (String f : features) {
                weights[i * vocab + bucket(f, vocab)] += 1f / features.size();
            }
        }
        NDArray bag = manager.create(weights, new Shape(prompts.size(), vocab));
        return forward(ps, new NDList(bag), false, null).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray bag = inputs.singletonOrThrow();
        NDArray weights = value(ps, table, bag, training);
        // One product per prompt, so a prompt's embedding has the same bits in any batch: BLAS chooses its kernel by the
        // row count, and on some CPUs (MKL on an Intel Xeon with AMX, Sapphire Rapids or later) a row of an 8-row product
        // differed in its last bits from the same row alone, so training from the encoder cache (one prompt at a time)
        // drifted from training that encodes each batch (TinyModelTest.trainingFromCachedEncodingsIsBitwiseIdentical).
        NDList rows = new NDList();
        for (long i = 0; i < bag.getShape().get(0); i++) {
            rows.add(bag.get(i).expandDims(0).matMul(weights));
        }
        return new NDList(NDArrays.concat(rows, 0));
    }
}
