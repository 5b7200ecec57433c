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

    public static void write(ObjectStore store, String key, List<Sample> samples) {
        store.put(key, Json.lines(samples), "application/x-ndjson");
    }
}
