package dev.cnf.activities.models;

import java.util.Map;

/**
 * The OpenAI-compatible captioner's endpoint: the caption stage calls it, validation checks it is set.
 *
 * @param baseUrl     e.g. https://api.openai.com/v1 (".../chat/completions" is appended)
 * @param apiKey      sent as a Bearer token; may be empty for local servers
 * @param instruction what the model is asked
 */
public record OpenAiConfig(String baseUrl, String model, String apiKey, String instruction) {
    public static final String DEFAULT_INSTRUCTION =
            "Describe this image in one short sentence suitable as a text-to-image prompt. Answer with the sentence only.";

    public boolean configured() {
        return baseUrl != null && !baseUrl.isBlank() && model != null && !model.isBlank();
    }

    /** From CNF_OPENAI_BASE_URL, CNF_OPENAI_MODEL, CNF_OPENAI_API_KEY and CNF_OPENAI_INSTRUCTION. */
    public static OpenAiConfig fromEnvironment() {
        Map<String, String> env = System.getenv();
        return new OpenAiConfig(env.getOrDefault("CNF_OPENAI_BASE_URL", ""), env.getOrDefault("CNF_OPENAI_MODEL", ""),
                env.getOrDefault("CNF_OPENAI_API_KEY", ""), env.getOrDefault("CNF_OPENAI_INSTRUCTION", DEFAULT_INSTRUCTION));
    }
}
