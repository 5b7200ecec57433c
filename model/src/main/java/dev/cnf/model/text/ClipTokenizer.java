package dev.cnf.model.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's byte-level BPE tokenizer (openai/CLIP simple_tokenizer, transformers' CLIPTokenizer) reading
 * the {@code vocab.json} and {@code merges.txt} that ship with every SD1.x {@code tokenizer/} folder.
 * Text is cleaned as CLIP cleans it ({@link ClipTextCleaner}: ftfy's fixes but its mojibake repair, Unicode
 * whitespace collapsed, lower-cased), split by
 * CLIP's pattern, mapped to byte-level unicode, merged by rank, and framed as
 * {@code <|startoftext|> … <|endoftext|>} padded with {@code <|endoftext|>} to the context length.
 */
public final class ClipTokenizer {
    public static final String BOS = "<|startoftext|>";
    public static final String EOS = "<|endoftext|>";
    private static final Pattern SPLIT = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final String[] BYTE_TO_UNICODE = byteToUnicode();

    private final Map<String, Integer> vocab;
    private final Map<String, Integer> mergeRanks;
    private final List<String> merges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final int bos;
    private final int eos;
    private final int contextLength;

    /** One encoded prompt: {@code contextLength} ids, and whether words were cut to fit. */
    public record Encoding(int[] ids, boolean truncated) {}

    public ClipTokenizer(Map<String, Integer> vocab, List<String> merges, int contextLength) {
        this.vocab = Map.copyOf(vocab);
        this.merges = List.copyOf(merges);
        this.mergeRanks = new HashMap<>();
        for (int i = 0; i < merges.size(); i++) {
            mergeRanks.putIfAbsent(merges.get(i), i);
        }
        this.bos = id(BOS);
        this.eos = id(EOS);
        this.contextLength = contextLength;
    }

    /** Reads a tokenizer folder: {@code vocab.json} and {@code merges.txt} (SD1.x: context length 77). */
    public static ClipTokenizer load(Path folder, int contextLength) throws IOException {
        Path vocabFile = folder.resolve("vocab.json");
        Path mergesFile = folder.resolve("merges.txt");
        if (!Files.isRegularFile(vocabFile) || !Files.isRegularFile(mergesFile)) {
            throw new IOException(folder + " must contain vocab.json and merges.txt (a CLIP tokenizer folder, e.g. <model>/tokenizer)");
        }
        return parse(Files.readAllBytes(vocabFile), Files.readString(mergesFile, StandardCharsets.UTF_8), contextLength);
    }

    /** A tokenizer from the contents of {@code vocab.json} and {@code merges.txt}. */
    public static ClipTokenizer parse(byte[] vocabJson, String mergesText, int contextLength) throws IOException {
        JsonNode json = new ObjectMapper().readTree(vocabJson);
        Map<String, Integer> vocab = new HashMap<>();
        json.fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        List<String> merges = new ArrayList<>();
        for (String line : mergesText.split("\\R")) {
            if (!line.isBlank() && !line.startsWith("#version")) {
                merges.add(line.strip());
            }
        }
        return new ClipTokenizer(vocab, merges, contextLength);
    }

    /** Writes a tokenizer folder {@link #load} and transformers' CLIPTokenizer read: vocab.json (ids in order) and merges.txt. */
    public void save(Path folder) throws IOException {
        Files.createDirectories(folder);
        com.fasterxml.jackson.databind.node.ObjectNode json = new ObjectMapper().createObjectNode();
        vocab.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> json.put(e.getKey(), e.getValue()));
        Files.writeString(folder.resolve("vocab.json"), json.toString());
        Files.writeString(folder.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", merges) + (merges.isEmpty() ? "" : "\n"));
    }

    /**
     * A merge-free byte-level tokenizer for a model trained from scratch (tiny-sd): every UTF-8 byte
     * is one token, ids 0..511, with BOS/EOS at the config's ids.
     */
    public static ClipTokenizer byteLevel(int bosId, int eosId, int contextLength) {
        Map<String, Integer> vocab = new HashMap<>();
        List<String> symbols = byteSymbols();
        for (int i = 0; i < symbols.size(); i++) {
            vocab.put(symbols.get(i), i);
        }
        vocab.put(BOS, bosId);
        vocab.put(EOS, eosId);
        return new ClipTokenizer(vocab, List.of(), contextLength);
    }

    private int id(String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("CLIP vocabulary has no '" + token + "'");
        }
        return id;
    }

    /** The BPE ids of the text, without framing. */
    public List<Integer> tokenize(String text) {
        String clean = ClipTextCleaner.clean(text);
        List<Integer> out = new ArrayList<>();
        Matcher m = SPLIT.matcher(clean);
        while (m.find()) {
            StringBuilder word = new StringBuilder();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
                word.append(BYTE_TO_UNICODE[b & 0xff]);
            }
            for (int id : cache.computeIfAbsent(word.toString(), this::bpe)) {
                out.add(id);
            }
        }
        return out;
    }

    /** BOS + ids + EOS, cut at the last whole word that fits and padded with EOS to the context length. */
    public Encoding encode(String text) {
        List<Integer> ids = tokenize(text);
        int room = contextLength - 2;
        boolean truncated = ids.size() > room;
        int[] out = new int[contextLength];
        Arrays.fill(out, eos);
        out[0] = bos;
        for (int i = 0; i < Math.min(room, ids.size()); i++) {
            out[1 + i] = ids.get(i);
        }
        return new Encoding(out, truncated);
    }

    private int[] bpe(String token) {
        if (token.equals(BOS) || token.equals(EOS)) {
            return new int[] {id(token)};
        }
        List<String> word = new ArrayList<>();
        int[] cps = token.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            String s = new String(cps, i, 1);
            word.add(i == cps.length - 1 ? s + "</w>" : s);
        }
        while (word.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i < word.size() - 1; i++) {
                Integer r = mergeRanks.get(word.get(i) + " " + word.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            String first = word.get(best);
            String second = word.get(best + 1);
            List<String> merged = new ArrayList<>();
            for (int i = 0; i < word.size(); i++) {
                if (i < word.size() - 1 && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(word.get(i));
                }
            }
            word = merged;
        }
        int[] ids = new int[word.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = vocab.get(word.get(i));
            if (id == null) {
                throw new IllegalStateException("BPE produced '" + word.get(i) + "', which is not in vocab.json; vocab and merges do not belong together");
            }
            ids[i] = id;
        }
        return ids;
    }

    /** GPT-2/CLIP's reversible byte → printable-unicode table. */
    static String[] byteToUnicode() {
        String[] table = new String[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            printable[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            printable[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            printable[b] = true;
        }
        int next = 0;
        for (int b = 0; b < 256; b++) {
            table[b] = new String(Character.toChars(printable[b] ? b : 256 + next++));
        }
        return table;
    }

    /**
     * The base vocabulary CLIP builds before its merges, in CLIP's order: the byte symbols (printable
     * bytes first, then the remapped ones), then the same symbols word-final.
     */
    public static List<String> byteSymbols() {
        List<String> symbols = new ArrayList<>();
        for (String s : BYTE_TO_UNICODE) {
            if (s.codePointAt(0) < 256) {
                symbols.add(s);
            }
        }
        for (String s : BYTE_TO_UNICODE) {
            if (s.codePointAt(0) >= 256) {
                symbols.add(s);
            }
        }
        List<String> out = new ArrayList<>(symbols);
        for (String s : symbols) {
            out.add(s + "</w>");
        }
        return out;
    }
}
