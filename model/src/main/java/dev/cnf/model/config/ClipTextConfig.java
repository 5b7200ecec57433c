package dev.cnf.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import static dev.cnf.model.config.ConfigJson.*;

/** transformers' {@code CLIPTextConfig} (the text half of CLIP), as SD1.x's {@code text_encoder/config.json}. */
public record ClipTextConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int maxPositionEmbeddings,
        String hiddenAct,
        double layerNormEps,
        int bosTokenId,
        int eosTokenId) {

    public ClipTextConfig {
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("CLIP text config: hidden_size " + hiddenSize + " not divisible by " + numAttentionHeads + " heads");
        }
        if (!hiddenAct.equals("quick_gelu") && !hiddenAct.equals("gelu")) {
            throw new IllegalArgumentException("CLIP text config: hidden_act '" + hiddenAct + "' is not supported (quick_gelu, gelu)");
        }
    }

    /** openai/clip-vit-large-patch14's text model, SD1.5's text encoder: 77 tokens, width 768, 12 layers. */
    public static ClipTextConfig sd15() {
        return new ClipTextConfig(49408, 768, 3072, 12, 12, 77, "quick_gelu", 1e-5, 49406, 49407);
    }

    public static ClipTextConfig fromJson(String json) {
        JsonNode n = parse(json, "CLIPTextModel");
        return new ClipTextConfig(integer(n, "vocab_size", 49408), integer(n, "hidden_size", 512),
                integer(n, "intermediate_size", 2048), integer(n, "num_hidden_layers", 12),
                integer(n, "num_attention_heads", 8), integer(n, "max_position_embeddings", 77),
                text(n, "hidden_act", "quick_gelu"), number(n, "layer_norm_eps", 1e-5),
                integer(n, "bos_token_id", 49406), integer(n, "eos_token_id", 49407));
    }

    public String toJson() {
        ObjectNode o = MAPPER.createObjectNode();
        o.putArray("architectures").add("CLIPTextModel");
        o.put("model_type", "clip_text_model");
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("hidden_act", hiddenAct);
        o.put("layer_norm_eps", layerNormEps);
        o.put("bos_token_id", bosTokenId);
        o.put("eos_token_id", eosTokenId);
        o.put("torch_dtype", "float32");
        return pretty(o);
    }
}
