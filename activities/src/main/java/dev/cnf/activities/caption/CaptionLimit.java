package dev.cnf.activities.caption;

import java.util.function.ToIntFunction;

/**
 * Keeps captions within the text encoder's context: a caption whose token count exceeds the limit is
 * cut at the last word boundary that fits, and flagged. The count comes from the encoder's own
 * tokenizer: words for the tiny preset's hashing encoder, CLIP BPE (+ start and end tokens) for CLIP.
 */
public final class CaptionLimit {
    /** A caption and whether it was cut. */
    public record Fitted(String text, boolean truncated) {}

    private final int maxTokens;
    private final ToIntFunction<String> tokens;

    public CaptionLimit(int maxTokens, ToIntFunction<String> tokens) {
        this.maxTokens = maxTokens;
        this.tokens = tokens;
    }

    /** The tiny preset's hashing encoder: lower-cased letter/digit runs, at most 77 of them. */
    public static CaptionLimit words(int maxTokens) {
        return new CaptionLimit(maxTokens, text -> {
            int n = 0;
            for (String t : text.split("[^\\p{L}\\p{N}]+")) {
                if (!t.isEmpty()) {
                    n++;
                }
            }
            return n;
        });
    }

    /** A CLIP tokenizer: BPE tokens plus the start and end tokens within the context length (77). */
    public static CaptionLimit clip(dev.cnf.model.text.ClipTokenizer tokenizer, int contextLength) {
        return new CaptionLimit(contextLength, text -> tokenizer.tokenize(text).size() + 2);
    }

    public Fitted fit(String caption) {
        if (caption == null || tokens.applyAsInt(caption) <= maxTokens) {
            return new Fitted(caption, false);
        }
        String[] words = caption.strip().split("\\s+");
        int lo = 0, hi = words.length; // the longest prefix of whole words that fits
        while (lo < hi) {
            int mid = (lo + hi + 1) / 2;
            if (tokens.applyAsInt(String.join(" ", java.util.Arrays.copyOf(words, mid))) <= maxTokens) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return new Fitted(String.join(" ", java.util.Arrays.copyOf(words, lo)), true);
    }
}
