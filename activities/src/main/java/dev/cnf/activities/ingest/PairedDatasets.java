package dev.cnf.activities.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cnf.activities.dataset.Drop;
import dev.cnf.activities.dataset.DropReason;
import dev.cnf.activities.dataset.UrlLists;
import dev.cnf.activities.storage.Json;
import dev.cnf.workflows.spec.PairSpec;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Reads the pairs of a user's dataset in the layouts ControlNet trainers read ({@link PairSpec}) into references the fetch
 * shards fetch as they fetch scraped images: an image and its condition by location, or, where the layout embeds them
 * (tar members, Parquet cells), already stored content-addressed by discovery. A pair the layout lists without its
 * partner is dropped as {@link DropReason#MISSING_PARTNER}; a row that cannot be read as {@link DropReason#BAD_METADATA}.
 */
final class PairedDatasets {
    /** Where discovery's pairs and drops go. */
    interface Sink {
        void pair(IngestActivitiesImpl.Ref ref);

        void drop(Drop drop);

        /** A source that could not be read at all. */
        void failure(Drop drop);

        boolean full();

        /** Stores embedded bytes content-addressed under the run and returns their key. */
        String store(byte[] bytes);

        void heartbeat();
    }

    private final DatasetFiles files;
    private final long maxBytes;

    PairedDatasets(DatasetFiles files, long maxBytes) {
        this.files = files;
        this.maxBytes = maxBytes;
    }

    void read(PairSpec spec, String condition, List<String> sources, Sink sink) {
        for (String raw : sources) {
            String source = DatasetFiles.normalise(raw);
            try {
                switch (spec.format()) {
                    case "prompt-json" -> promptJson(spec, source, sink);
                    case "imagefolder" -> imageFolder(spec, source, sink);
                    case "parquet" -> {
                        for (String file : filesEnding(source, ".parquet", sink)) {
                            parquet(spec, condition, file, sink);
                        }
                    }
                    case "webdataset" -> {
                        for (String file : filesEnding(source, ".tar", sink)) {
                            webDataset(spec, condition, file, sink);
                        }
                    }
                    case "kohya" -> kohya(spec, source, sink);
                    default -> throw new IllegalArgumentException("unknown pairs format " + spec.format());
                }
            } catch (DatasetFiles.Unreadable e) {
                sink.failure(new Drop(raw, e.missing ? DropReason.HTTP_4XX : e.reason, "dataset unreadable: " + e.getMessage()));
            } catch (IOException | SQLException | RuntimeException e) {
                sink.failure(new Drop(raw, DropReason.NETWORK_ERROR, "dataset unreadable: " + e.getMessage()));
            }
        }
    }

    private List<String> filesEnding(String source, String extension, Sink sink) {
        List<String> found = files.list(source).stream().filter(f -> f.toLowerCase(Locale.ROOT).endsWith(extension)).toList();
        if (found.isEmpty()) {
            sink.failure(new Drop(source, DropReason.HTTP_4XX, "no " + extension + " files at " + source));
        }
        return found;
    }

    /** A listing's text, without the byte-order mark spreadsheet programs write (it would rename the first column). */
    private String listing(String file) throws IOException {
        String body = new String(files.read(file, Long.MAX_VALUE), StandardCharsets.UTF_8);
        return body.startsWith("\uFEFF") ? body.substring(1) : body;
    }

    /** lllyasviel's layout: JSON lines of source (condition), target (image), prompt, paths relative to the file. */
    private void promptJson(PairSpec spec, String file, Sink sink) throws IOException {
        String image = spec.image(), condition = spec.conditioningImage("");
        jsonLines(file, listing(file), sink, (where, row) ->
                listed(sink, file, where, row.get(image), row.get(condition), row.get(spec.caption()), image, condition));
    }

    /** A listing's rows by column, each with where it stands ({@code file#line}). */
    private record Rows(List<Map<String, String>> values, List<String> where) {
        int size() {
            return values.size();
        }
    }

    /**
     * JSON lines, each row by column to {@code row} with where it stands ({@code file#line}), in order until the sink is
     * full; a line that is no JSON is dropped as {@link DropReason#BAD_METADATA}.
     */
    private static void jsonLines(String file, String body, Sink sink, java.util.function.BiConsumer<String, Map<String, String>> row) {
        int line = 0;
        for (String text : body.split("\r?\n")) {
            line++;
            if (sink.full()) {
                return;
            }
            if (text.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(text);
            } catch (IOException e) {
                sink.drop(new Drop(file + "#" + line, DropReason.BAD_METADATA, "line " + line + " is not JSON: " + e.getMessage()));
                continue;
            }
            Map<String, String> m = new LinkedHashMap<>();
            node.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
            row.accept(file + "#" + line, m);
        }
    }

    /**
     * A Hugging Face imagefolder's metadata: the image in {@code file_name} (or {@code <column>_file_name}, or the column
     * itself), the condition in {@code <column>_file_name} (or the column), paths relative to the metadata file.
     */
    private void imageFolder(PairSpec spec, String file, Sink sink) throws IOException {
        String body = listing(file);
        Rows rows = new Rows(new ArrayList<>(), new ArrayList<>());
        if (file.toLowerCase(Locale.ROOT).endsWith(".csv")) {
            csv(file, body, sink, rows);
        } else {
            jsonLines(file, body, sink, (where, row) -> {
                rows.values().add(row);
                rows.where().add(where);
            });
        }
        String imageKey = fileColumn(rows.values(), spec.image(), true);
        String conditionKey = fileColumn(rows.values(), spec.conditioningImage(""), false);
        for (int i = 0; i < rows.size() && !sink.full(); i++) {
            Map<String, String> row = rows.values().get(i);
            listed(sink, file, rows.where().get(i), row.get(imageKey), row.get(conditionKey), row.get(spec.caption()), imageKey, conditionKey);
        }
    }

    /** CSV under its header into {@code rows}; a row with another number of fields is dropped as {@link DropReason#BAD_METADATA}. */
    private static void csv(String file, String body, Sink sink, Rows rows) {
        List<List<String>> records = UrlLists.records(body, ',');
        List<String> header = records.isEmpty() ? List.of() : records.get(0).stream().map(String::strip).toList();
        for (int i = 1; i < records.size(); i++) {
            List<String> r = records.get(i);
            if (r.size() == 1 && r.get(0).isBlank()) {
                continue;
            }
            if (r.size() != header.size()) {
                sink.drop(new Drop(file + "#" + (i + 1), DropReason.BAD_METADATA, "row " + (i + 1) + " has " + r.size()
                        + " fields, the header " + header.size()));
                continue;
            }
            Map<String, String> m = new LinkedHashMap<>();
            for (int c = 0; c < header.size(); c++) {
                m.put(header.get(c), r.get(c));
            }
            rows.values().add(m);
            rows.where().add(file + "#" + (i + 1));
        }
    }

    /** The metadata column that holds a file column's paths, as {@code datasets}' imagefolder names them. */
    private static String fileColumn(List<Map<String, String>> rows, String column, boolean main) {
        List<String> candidates = main ? List.of(column + "_file_name", column, "file_name") : List.of(column + "_file_name", column);
        for (String c : candidates) {
            if (!rows.isEmpty() && rows.get(0).containsKey(c)) {
                return c;
            }
        }
        return candidates.get(0);
    }

    /** One listed pair: both partners present (paths inside the dataset's folder), else a drop naming what is missing. */
    private static void listed(Sink sink, String file, String where, String image, String condition, String caption,
                               String imageColumn, String conditionColumn) {
        boolean noImage = image == null || image.isBlank();
        boolean noCondition = condition == null || condition.isBlank();
        if (noImage || noCondition) {
            sink.drop(missingPartner(where, noImage, noCondition, imageColumn, conditionColumn, "row"));
            return;
        }
        String imageAt = DatasetFiles.sibling(file, image);
        String conditionAt = DatasetFiles.sibling(file, condition);
        if (imageAt == null || conditionAt == null) {
            sink.drop(new Drop(where, DropReason.BAD_METADATA, "'" + (imageAt == null ? image : condition)
                    + "' is not a relative path inside the dataset's folder"));
            return;
        }
        sink.pair(IngestActivitiesImpl.Ref.pair(imageAt, file, conditionAt, null, null, caption));
    }

    /**
     * Parquet as {@code datasets} writes an Image feature (a struct of {@code bytes} and {@code path}) or as plain binary
     * columns; read by DuckDB's Parquet reader, streamed row by row so only the row in hand is in memory.
     */
    private void parquet(PairSpec spec, String condition, String file, Sink sink) throws IOException, SQLException {
        Path local = files.localCopy(file);
        try {
            Properties streaming = new Properties();
            streaming.setProperty("jdbc_stream_results", "true");
            try (Connection db = DriverManager.getConnection("jdbc:duckdb:", streaming)) {
                Map<String, String> types = new LinkedHashMap<>();
                try (PreparedStatement describe = db.prepareStatement("DESCRIBE SELECT * FROM read_parquet(?)")) {
                    describe.setString(1, local.toString());
                    try (ResultSet rs = describe.executeQuery()) {
                        while (rs.next()) {
                            types.put(rs.getString(1), rs.getString(2));
                        }
                    }
                }
                String image = spec.image(), cond = spec.conditioningImage(condition), caption = spec.caption();
                List<String> missing = new ArrayList<>();
                for (String c : List.of(image, cond)) {
                    if (!types.containsKey(c)) {
                        missing.add(c);
                    }
                }
                if (!missing.isEmpty()) {
                    sink.failure(new Drop(file, DropReason.BAD_METADATA, "no column " + missing + " in " + file + "; its columns: "
                            + types.keySet() + " (set pairs.imageColumn / conditioningImageColumn)"));
                    return;
                }
                String sql = "SELECT " + bytesOf(image, types) + ", " + bytesOf(cond, types) + ", "
                        + (types.containsKey(caption) ? "CAST(" + quoted(caption) + " AS VARCHAR)" : "NULL") + " FROM read_parquet(?)";
                try (PreparedStatement select = db.prepareStatement(sql)) {
                    select.setString(1, local.toString());
                    try (ResultSet rs = select.executeQuery()) {
                        int row = 0;
                        while (rs.next() && !sink.full()) {
                            sink.heartbeat();
                            embedded(sink, file + "#" + row, rs.getBytes(1), rs.getBytes(2), rs.getString(3), image, cond);
                            row++;
                        }
                    }
                }
            }
        } finally {
            if (!file.startsWith("file:")) {
                Files.deleteIfExists(local);
            }
        }
    }

    private static String quoted(String column) {
        return "\"" + column.replace("\"", "\"\"") + "\"";
    }

    /** An Image feature's bytes, or a binary column as it is. */
    private static String bytesOf(String column, Map<String, String> types) {
        String type = types.get(column).toUpperCase(Locale.ROOT);
        return type.startsWith("STRUCT") ? "struct_extract(" + quoted(column) + ", 'bytes')" : quoted(column);
    }

    /** A pair without its image, its condition or both, saying which column it lacks. */
    private static Drop missingPartner(String where, boolean noImage, boolean noCondition, String imageColumn, String conditionColumn,
                                       String what) {
        String lacks = noImage && noCondition ? "neither '" + imageColumn + "' nor '" + conditionColumn + "'"
                : noImage ? "no '" + imageColumn + "'" : "no '" + conditionColumn + "'";
        return new Drop(where, DropReason.MISSING_PARTNER, lacks + " in this " + what);
    }

    /** A pair whose bytes the layout holds: stored now, fetched from storage by its shard. */
    private static void embedded(Sink sink, String where, byte[] image, byte[] condition, String caption, String imageColumn,
                                 String conditionColumn) {
        boolean noImage = image == null || image.length == 0;
        boolean noCondition = condition == null || condition.length == 0;
        if (noImage || noCondition) {
            sink.drop(missingPartner(where, noImage, noCondition, imageColumn, conditionColumn, "sample"));
            return;
        }
        sink.pair(IngestActivitiesImpl.Ref.pair(where, where, null, sink.store(image), sink.store(condition), caption));
    }

    /**
     * WebDataset tars: members {@code <key>.<column>} grouped by key as {@code webdataset} groups them (the key is the path
     * up to the first dot of the file name); the first of the image alternatives present is the image.
     */
    private void webDataset(PairSpec spec, String condition, String file, Sink sink) throws IOException {
        List<String> imageAlternatives = Arrays.asList(spec.image().split(";"));
        List<String> conditionAlternatives = Arrays.asList(spec.conditioningImage(condition).split(";"));
        try (InputStream in = files.open(file); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            String key = null;
            Map<String, byte[]> members = new TreeMap<>();
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null && !sink.full()) {
                if (!entry.isFile()) {
                    continue;
                }
                String name = entry.getName();
                int slash = name.lastIndexOf('/');
                int dot = name.indexOf('.', slash + 1);
                if (dot < 0) {
                    continue; // no extension: no column
                }
                String memberKey = name.substring(0, dot);
                if (key != null && !key.equals(memberKey)) {
                    sample(sink, file, key, members, imageAlternatives, conditionAlternatives, spec.caption());
                    members.clear();
                }
                key = memberKey;
                if (entry.getSize() > maxBytes) {
                    sink.drop(new Drop(file + "#" + name, DropReason.TOO_LARGE_BYTES, entry.getSize() + " bytes, over " + maxBytes));
                    continue;
                }
                members.put(name.substring(dot + 1).toLowerCase(Locale.ROOT), tar.readAllBytes());
            }
            if (key != null && !sink.full()) {
                sample(sink, file, key, members, imageAlternatives, conditionAlternatives, spec.caption());
            }
        }
    }

    private static void sample(Sink sink, String file, String key, Map<String, byte[]> members, List<String> imageAlternatives,
                               List<String> conditionAlternatives, String captionColumn) {
        sink.heartbeat();
        byte[] image = first(members, imageAlternatives);
        byte[] condition = first(members, conditionAlternatives);
        byte[] caption = members.get(captionColumn);
        if (image == null && condition == null) {
            return; // another kind of sample (or its metadata only): nothing of a pair in it
        }
        embedded(sink, file + "#" + key, image, condition, caption == null ? null : new String(caption, StandardCharsets.UTF_8).strip(),
                String.join(";", imageAlternatives), String.join(";", conditionAlternatives));
    }

    private static byte[] first(Map<String, byte[]> members, List<String> alternatives) {
        for (String a : alternatives) {
            byte[] b = members.get(a.toLowerCase(Locale.ROOT));
            if (b != null) {
                return b;
            }
        }
        return null;
    }

    /** kohya's layout: images, conditions with the same file stem under conditioningDir, captions in {@code <stem>.txt|.caption}. */
    private void kohya(PairSpec spec, String folder, Sink sink) throws IOException {
        String conditionsAt = DatasetFiles.normalise(spec.conditioningDir());
        List<String> all = files.list(folder);
        if (all.isEmpty()) {
            sink.failure(new Drop(folder, DropReason.HTTP_4XX, "no files at " + folder));
            return;
        }
        Map<String, String> conditions = new TreeMap<>();
        for (String c : files.list(conditionsAt)) {
            if (isImage(c)) {
                conditions.putIfAbsent(stemOf(c), c);
            }
        }
        Map<String, String> captions = new TreeMap<>();
        for (String f : all) {
            String lower = f.toLowerCase(Locale.ROOT);
            if (lower.endsWith(".txt") || lower.endsWith(".caption")) {
                captions.putIfAbsent(f.substring(0, f.lastIndexOf('.')), f);
            }
        }
        java.util.Set<String> paired = new java.util.HashSet<>();
        for (String image : all) {
            if (sink.full()) {
                return;
            }
            if (!isImage(image) || image.startsWith(conditionsAt.endsWith("/") ? conditionsAt : conditionsAt + "/")) {
                continue;
            }
            String stem = stemOf(image);
            String condition = conditions.get(stem);
            if (condition == null) {
                sink.drop(new Drop(image, DropReason.MISSING_PARTNER, "no condition named " + stem + ".* under " + conditionsAt));
                continue;
            }
            paired.add(stem);
            String captionFile = captions.get(image.substring(0, image.lastIndexOf('.')));
            String caption = captionFile == null ? null : new String(files.read(captionFile, 1 << 20), StandardCharsets.UTF_8).strip();
            sink.pair(IngestActivitiesImpl.Ref.pair(image, folder, condition, null, null, caption));
        }
        for (Map.Entry<String, String> c : conditions.entrySet()) {
            if (!paired.contains(c.getKey()) && !sink.full()) {
                sink.drop(new Drop(c.getValue(), DropReason.MISSING_PARTNER, "a condition with no image named " + c.getKey() + ".* in " + folder));
            }
        }
    }

    private static boolean isImage(String location) {
        return IngestActivitiesImpl.IMAGE_PATH.matcher(location).find();
    }

    /** The file name without folder and extension: what kohya matches an image and its condition by. */
    private static String stemOf(String location) {
        String name = location.substring(location.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }
}
