package dev.cnf.model.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.cnf.model.nn.NamedBlock;

import java.util.List;

/** Prompts to what the UNet is conditioned on: CLIP hidden states, or the tiny preset's pooled stand-in. */
public interface PromptEncoder {
    /** One row per prompt, created in {@code manager}; "" is the unconditional prompt. */
    NDArray encode(ParameterStore ps, NDManager manager, List<String> prompts);

    /** For inference ({@code encoder_hidden_states} of a pipeline): one row per prompt, without gradients. */
    default NDArray encode(NDManager manager, List<String> prompts) {
        dev.cnf.model.nn.GradMode.disableOnThisThread();
        return encode(new ParameterStore(manager, false), manager, prompts);
    }

    /** The block holding this encoder's weights. */
    NamedBlock module();

    /**
     * Whether training's encoding cache should keep this encoder's embeddings in object storage: true for a network
     * (CLIP), false for a table lookup that costs less to compute than to fetch.
     */
    default boolean worthStoring() {
        return true;
    }
}
