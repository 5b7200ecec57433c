package dev.cnf.model.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.cnf.model.nn.NamedBlock;

import java.util.List;

/** SD1.x's prompt path: CLIP BPE to 77 ids, CLIPTextModel's last hidden state [N, 77, hidden]. */
public final class ClipPromptEncoder implements PromptEncoder {
    private final ClipTextModel model;
    private final ClipTokenizer tokenizer;

    public ClipPromptEncoder(ClipTextModel model, ClipTokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    @Override
    public NDArray encode(ParameterStore ps, NDManager manager, List<String> prompts) {
        int length = model.config().maxPositionEmbeddings();
        long[] ids = new long[prompts.size() * length];
        for (int i = 0; i < prompts.size(); i++) {
            int[] one = tokenizer.encode(prompts.get(i)).ids();
            for (int j = 0; j < length; j++) {
                ids[i * length + j] = one[j];
            }
        }
        NDArray tokens = manager.create(ids, new Shape(prompts.size(), length));
        return model.forward(ps, new NDList(tokens), false, null).singletonOrThrow();
    }

    @Override
    public NamedBlock module() {
        return model;
    }
}
