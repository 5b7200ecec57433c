package dev.cnf.activities.dataset;

import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;

import java.util.List;

/** Reads and writes the JSON-lines sample tables each stage hands to the next. */
public final class SampleTables {
    private SampleTables() {}

    public static List<Sample> read(ObjectStore store, String key) {
        return Json.readLines(store.get(key), Sample.class);
    }

    /**
     * Rows {@code from} to the end of a table of {@code size} rows, read as a stream: only those rows are held, so the
     * held-out tail of a table of millions costs what the tail does.
     *
     * @throws IllegalStateException when the table does not have {@code size} rows (it changed after the split)
     */
    public static List<Sample> tail(ObjectStore store, String key, int from, int size) {
        List<Sample> rows = new java.util.ArrayList<>();
        int n = 0;
        try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(store.open(key),
                java.nio.charset.StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                if (n++ >= from) {
                    rows.add(Json.MAPPER.readValue(line, Sample.class));
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("sample table " + key + " unreadable: " + e.getMessage(), e);
        }
        if (n != size) {
            throw new IllegalStateException("the dataset table " + key + " has " + n + " rows, the split was made for " + size
                    + ": the table changed after the split");
        }
        return rows;
    }

    public static void write(ObjectStore store, String key, List<Sample> samples) {
        store.put(key, Json.lines(samples), "application/x-ndjson");
    }
}
