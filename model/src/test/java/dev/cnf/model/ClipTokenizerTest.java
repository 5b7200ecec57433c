package dev.cnf.model;

import dev.cnf.model.text.ClipTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A vocabulary built the way CLIP builds its own (bytes, word-final bytes, merges, specials), written as files. */
class ClipTokenizerTest {
    static final List<String> MERGES = List.of("r e", "re d</w>", "c i", "ci r", "l e</w>", "cir c", "circ le</w>", "a </w>");

    static Path writeTokenizer(Path dir) throws Exception {
        List<String> vocab = new ArrayList<>(ClipTokenizer.byteSymbols());
        for (String m : MERGES) {
            vocab.add(m.replace(" ", ""));
        }
        vocab.add(ClipTokenizer.BOS);
        vocab.add(ClipTokenizer.EOS);
        StringBuilder json = new StringBuilder("{");
        for (int i = 0; i < vocab.size(); i++) {
            String escaped = vocab.get(i).replace("\\", "\\\\").replace("\"", "\\\"");
            json.append(i == 0 ? "" : ",").append('"').append(escaped).append("\":").append(i);
        }
        Files.writeString(dir.resolve("vocab.json"), json.append('}').toString());
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", MERGES) + "\n");
        return dir;
    }

    @Test
    void mergesByRankAndFramesToTheContextLength(@TempDir Path dir) throws Exception {
        ClipTokenizer tok = ClipTokenizer.load(writeTokenizer(dir), 8);
        int base = 512; // 256 byte symbols + 256 word-final ones
        int red = base + 1;
        int circle = base + 6;
        int bos = base + MERGES.size();
        int eos = bos + 1;
        assertEquals(List.of(red, circle), tok.tokenize("  RED\tcircle "), "lower-cased, whitespace-normalised, merged");
        // "ab": no merge applies → byte symbols 'a' and 'b</w>'.
        assertEquals(List.of((int) 'a' - 33, 256 + 'b' - 33), tok.tokenize("ab"));
        ClipTokenizer.Encoding e = tok.encode("red circle");
        assertArrayEquals(new int[] {bos, red, circle, eos, eos, eos, eos, eos}, e.ids());
        assertFalse(e.truncated());
        ClipTokenizer.Encoding longer = tok.encode("red red red red red red red");
        assertTrue(longer.truncated());
        assertEquals(bos, longer.ids()[0]);
        assertEquals(red, longer.ids()[6]);
        assertEquals(eos, longer.ids()[7], "the last slot is always EOS");
    }

    @Test
    void punctuationAndNonAsciiGoThroughTheByteTable(@TempDir Path dir) throws Exception {
        ClipTokenizer tok = ClipTokenizer.load(writeTokenizer(dir), 77);
        assertEquals(2, tok.tokenize("red!").size(), "'red' and '!' are separate pre-tokens");
        assertEquals(2, tok.tokenize("é").size(), "two UTF-8 bytes, two byte symbols");
        assertThrows(java.io.IOException.class, () -> ClipTokenizer.load(dir.resolve("missing"), 77));
    }
}
