package dev.cnf.model.text;

import org.jsoup.nodes.Entities;

import java.text.Normalizer;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text cleaning CLIP applies before tokenizing ({@code whitespace_clean(ftfy.fix_text(text)).lower()}), as
 * transformers' CLIPTokenizer does with ftfy 6 installed: ftfy's default fixes in its order (HTML entities ending in
 * ';' unless the line so far holds a '<', C1 controls read as Windows-1252, Latin ligatures, full-width forms, curly
 * quotes, line breaks, control characters, NFC), repeated until nothing changes; then every run of Unicode whitespace
 * becomes one space, the ends are trimmed and the text lower-cased. One fix is not reproduced: ftfy's repair of
 * mojibake ("cafÃ©" for "café"), a heuristic over encodings; such text is tokenized as written
 * (ClipTokenizerOracleTest measures this against transformers).
 */
final class ClipTextCleaner {
    private static final Pattern ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Map<Character, String> LIGATURES = Map.ofEntries(
            Map.entry('Ĳ', "IJ"), Map.entry('ĳ', "ij"), Map.entry('ŉ', "ʼn"), Map.entry('Ǳ', "DZ"), Map.entry('ǲ', "Dz"),
            Map.entry('ǳ', "dz"), Map.entry('Ǆ', "DŽ"), Map.entry('ǅ', "Dž"), Map.entry('ǆ', "dž"), Map.entry('Ǉ', "LJ"),
            Map.entry('ǈ', "Lj"), Map.entry('ǉ', "lj"), Map.entry('Ǌ', "NJ"), Map.entry('ǋ', "Nj"), Map.entry('ǌ', "nj"),
            Map.entry('ﬀ', "ff"), Map.entry('ﬁ', "fi"), Map.entry('ﬂ', "fl"), Map.entry('ﬃ', "ffi"), Map.entry('ﬄ', "ffl"),
            Map.entry('ﬅ', "ſt"), Map.entry('ﬆ', "st"));
    /** Windows-1252 for 0x80-0x9f; where it defines nothing, the byte's Latin-1 character ("sloppy" 1252, as browsers). */
    private static final String C1_AS_1252 = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ";

    private ClipTextCleaner() {}

    static String clean(String text) {
        StringBuilder fixed = new StringBuilder(text.length());
        boolean unescape = true; // ftfy stops decoding entities from the first line holding a '<' (it may be HTML)
        int pos = 0;
        while (pos < text.length()) {
            int end = text.indexOf('\n', pos);
            end = end < 0 ? text.length() : end + 1;
            String segment = text.substring(pos, end);
            if (segment.indexOf('<') >= 0) {
                unescape = false;
            }
            fixed.append(fixSegment(segment, unescape));
            pos = end;
        }
        return WHITESPACE.matcher(fixed).replaceAll(" ").strip().toLowerCase(Locale.ROOT);
    }

    private static String fixSegment(String segment, boolean unescape) {
        String text = segment;
        while (true) {
            String before = text;
            if (unescape) {
                text = unescapeHtml(text);
            }
            text = fixCharacters(text);
            text = text.replace("\r\n", "\n");
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
            if (text.equals(before)) {
                return text;
            }
        }
    }

    /** C1 controls, ligatures, full-width forms, curly quotes, line breaks and control characters, one pass. */
    private static String fixCharacters(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80 && c <= 0x9f) {
                c = C1_AS_1252.charAt(c - 0x80);
            }
            String ligature = LIGATURES.get(c);
            if (ligature != null) {
                out.append(ligature);
            } else if (c == '\u3000') {
                out.append(' ');
            } else if (c >= 0xff01 && c <= 0xffef) {
                out.append(Normalizer.normalize(String.valueOf(c), Normalizer.Form.NFKC));
            } else if (c == '\u02bc' || (c >= '\u2018' && c <= '\u201b')) {
                out.append('\'');
            } else if (c >= '\u201c' && c <= '\u201f') {
                out.append('"');
            } else if (c == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n') || c == '\u2028' || c == '\u2029' || c == '\u0085') {
                out.append('\n');
            } else if (!isControl(c)) {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isControl(char c) {
        return c <= 0x08 || c == 0x0b || (c >= 0x0e && c <= 0x1f) || c == 0x7f || (c >= 0x206a && c <= 0x206f) || c == 0xfeff
                || (c >= 0xfff9 && c <= 0xfffc);
    }

    /**
     * Entities that end in ';': HTML5's named ones, all-caps forms of lower-case names that are not entities themselves
     * ("&EACUTE;" for "É"), and numeric references. Anything else stays as written.
     */
    private static String unescapeHtml(String text) {
        if (text.indexOf('&') < 0) {
            return text;
        }
        Matcher m = ENTITY.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(entity(m.group())));
        }
        return m.appendTail(out).toString();
    }

    private static String entity(String match) {
        String name = match.substring(1, match.length() - 1);
        if (name.startsWith("#")) {
            return numeric(match, name.substring(1));
        }
        String value = Entities.getByName(name);
        if (!value.isEmpty()) {
            return value;
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (!lower.equals(name) && name.equals(name.toUpperCase(Locale.ROOT)) && !Entities.getByName(lower).isEmpty()
                && !Entities.isNamedEntity(name)) {
            return Entities.getByName(lower).toUpperCase(Locale.ROOT);
        }
        return match;
    }

    /** Python's html.unescape of "&#...;": decimal or hex, with HTML5's replacements for invalid code points. */
    private static String numeric(String match, String digits) {
        int cp;
        try {
            cp = digits.startsWith("x") || digits.startsWith("X")
                    ? Integer.parseInt(digits.substring(1), 16) : Integer.parseInt(digits);
        } catch (NumberFormatException notANumber) {
            return match;
        }
        if (cp >= 0x80 && cp <= 0x9f) {
            return String.valueOf(C1_AS_1252.charAt(cp - 0x80));
        }
        if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
            return "\ufffd";
        }
        return new String(Character.toChars(cp));
    }
}
