package dev.cnf.activities.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cnf.activities.storage.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * URL list files as img2dataset users have them: plain text (one URL per line, '#' comments), CSV or
 * TSV with a header naming the URL column (url, image_url, URL, src) and optionally a caption column
 * (caption, text, alt, title), and JSON lines with the same keys. Format by file extension.
 */
public final class UrlLists {
    private UrlLists() {}

    /** Column names of the image; "file"/"filename" serve caption files that name images by file name. */
    private static final List<String> URL_COLUMNS = List.of("url", "image_url", "imageurl", "src", "image", "file", "filename");
    private static final List<String> CAPTION_COLUMNS = List.of("caption", "text", "alt", "title");

    /** One entry: a URL and caption, or an error naming the line and what is wrong with it. */
    public record Row(int line, String url, String caption, String error) {}

    /** @return whether a path names a list file rather than a page or an image */
    public static boolean isList(String path) {
        return format(path) != null;
    }

    static String format(String path) {
        String p = path == null ? "" : path.toLowerCase(Locale.ROOT);
        int q = p.indexOf('?');
        p = q >= 0 ? p.substring(0, q) : p;
        for (String ext : List.of("txt", "csv", "tsv", "jsonl", "ndjson")) {
            if (p.endsWith("." + ext)) {
                return ext.equals("ndjson") ? "jsonl" : ext;
            }
        }
        return null;
    }

    /**
     * @throws IllegalArgumentException when the whole file is unusable (no URL column in the header)
     */
    public static List<Row> parse(String path, String text) {
        String format = format(path);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        return switch (format == null ? "txt" : format) {
            case "csv" -> table(text, ',');
            case "tsv" -> table(text, '\t');
            case "jsonl" -> jsonLines(text);
            default -> plain(text);
        };
    }

    private static List<Row> plain(String text) {
        List<Row> rows = new ArrayList<>();
        String[] lines = text.split("\r\n|\r|\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                rows.add(new Row(i + 1, line, "", null));
            }
        }
        return rows;
    }

    private static List<Row> jsonLines(String text) {
        List<Row> rows = new ArrayList<>();
        String[] lines = text.split("\r\n|\r|\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                JsonNode node = Json.MAPPER.readTree(line);
                String url = first(node, URL_COLUMNS);
                rows.add(url == null ? new Row(i + 1, null, null, "line " + (i + 1) + ": no \"url\" field")
                        : new Row(i + 1, url, orEmpty(first(node, CAPTION_COLUMNS)), null));
            } catch (Exception e) {
                rows.add(new Row(i + 1, null, null, "line " + (i + 1) + ": not JSON (" + e.getClass().getSimpleName() + ")"));
            }
        }
        return rows;
    }

    private static String first(JsonNode node, List<String> keys) {
        for (String k : keys) {
            JsonNode v = node.get(k);
            if (v != null && v.isTextual()) {
                return v.asText();
            }
        }
        return null;
    }

    private static List<Row> table(String text, char separator) {
        List<List<String>> records = records(text, separator);
        if (records.isEmpty()) {
            return List.of();
        }
        List<String> header = records.get(0).stream().map(h -> h.strip().toLowerCase(Locale.ROOT)).toList();
        int urlCol = firstIndex(header, URL_COLUMNS);
        if (urlCol < 0) {
            throw new IllegalArgumentException("the header " + header + " has no URL column; name it one of " + URL_COLUMNS);
        }
        int capCol = firstIndex(header, CAPTION_COLUMNS);
        List<Row> rows = new ArrayList<>();
        for (int i = 1; i < records.size(); i++) {
            List<String> r = records.get(i);
            if (r.size() == 1 && r.get(0).isBlank()) {
                continue;
            }
            String url = urlCol < r.size() ? r.get(urlCol).strip() : "";
            if (url.isEmpty()) {
                rows.add(new Row(i + 1, null, null, "row " + (i + 1) + ": empty URL column"));
            } else {
                rows.add(new Row(i + 1, url, capCol >= 0 && capCol < r.size() ? r.get(capCol).strip() : "", null));
            }
        }
        return rows;
    }

    private static int firstIndex(List<String> header, List<String> names) {
        for (String n : names) {
            int i = header.indexOf(n);
            if (i >= 0) {
                return i;
            }
        }
        return -1;
    }

    /** RFC 4180 records: quoted fields may hold separators, doubled quotes and line breaks. */
    public static List<List<String>> records(String text, char sep) {
        List<List<String>> out = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"' && field.length() == 0) {
                quoted = true;
            } else if (c == sep) {
                row.add(field.toString());
                field.setLength(0);
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                row.add(field.toString());
                field.setLength(0);
                out.add(row);
                row = new ArrayList<>();
            } else {
                field.append(c);
            }
        }
        if (field.length() > 0 || !row.isEmpty()) {
            row.add(field.toString());
            out.add(row);
        }
        return out;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
