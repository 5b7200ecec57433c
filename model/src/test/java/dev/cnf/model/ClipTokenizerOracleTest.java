package dev.cnf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.model.text.ClipTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * cnf's ClipTokenizer against transformers' CLIPTokenizer (the oracle, from the project virtualenv
 * {@code requirements/oracles.txt}) on SD1.x's real vocabulary and 5,510 prompts: accents (composed and decomposed),
 * emoji with joiners and modifiers, eleven scripts, punctuation runs, numbers, whitespace oddities, prompts far past 77
 * tokens, mojibake and edge cases (model/src/test/python/clip_tokenizer_oracle.py).
 */
class ClipTokenizerOracleTest {
    /**
     * The one kind of prompt where cnf differs, on purpose: ftfy repairs mojibake ("cafÃ©" becomes "café") before CLIP
     * tokenizes, and cnf does not reproduce ftfy's heuristics (a caption that is mojibake stays as written).
     */
    static final List<String> EXPLAINED = List.of("mojibake");

    @Test
    void idsEqualTransformersClipTokenizerOnThousandsOfPrompts(@TempDir Path dir) throws Exception {
        Oracles.run("clip_tokenizer_oracle.py", dir.toString());

        ClipTokenizer tokenizer = ClipTokenizer.load(dir, 77);
        ObjectMapper json = new ObjectMapper();
        Map<String, Integer> total = new TreeMap<>();
        Map<String, List<String>> differing = new TreeMap<>();
        for (String line : Files.readAllLines(dir.resolve("prompts.jsonl"), StandardCharsets.UTF_8)) {
            JsonNode row = json.readTree(line);
            String kind = row.get("kind").asText();
            int[] expected = new int[77];
            for (int i = 0; i < 77; i++) {
                expected[i] = row.get("ids").get(i).asInt();
            }
            total.merge(kind, 1, Integer::sum);
            int[] ours = tokenizer.encode(row.get("prompt").asText()).ids();
            if (!Arrays.equals(expected, ours)) {
                differing.computeIfAbsent(kind, k -> new ArrayList<>()).add(row.get("prompt").asText()
                        + "\n    transformers " + Arrays.toString(expected) + "\n    cnf          " + Arrays.toString(ours));
            }
        }
        assertTrue(total.values().stream().mapToInt(Integer::intValue).sum() >= 5000, total.toString());
        StringBuilder unexplained = new StringBuilder();
        differing.forEach((kind, prompts) -> {
            if (!EXPLAINED.contains(kind)) {
                unexplained.append(kind).append(": ").append(prompts.size()).append(" of ").append(total.get(kind))
                        .append(", e.g. ").append(prompts.get(0)).append('\n');
            }
        });
        assertEquals("", unexplained.toString(), "prompts where cnf's ids differ from CLIPTokenizer's");
        for (String kind : EXPLAINED) {
            assertTrue(differing.containsKey(kind), "the " + kind + " prompts still differ (else drop them from EXPLAINED)");
        }
    }
}
