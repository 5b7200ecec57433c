package dev.cnf.activities.dataset;

import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;

import java.io.UncheckedIOException;
import java.util.List;

/**
 * The dataset's WebDataset shards in the samples table's order, with how many samples each holds: what training needs to
 * stream the dataset without reading its table. Written beside the shards as {@code shards.json}.
 *
 * @param condition the condition's name: each sample's condition is its {@code <key>.<condition>.png} member
 * @param samples   the samples in all, the table's rows
 */
public record ShardIndex(String condition, int samples, List<Shard> shards) {
    /** One tar shard: its object key and its samples, which follow the previous shard's in the table. */
    public record Shard(String key, int samples) {}

    public ShardIndex {
        shards = List.copyOf(shards);
        int sum = shards.stream().mapToInt(Shard::samples).sum();
        if (sum != samples) {
            throw new IllegalArgumentException("shard index: the shards hold " + sum + " samples, the index says " + samples);
        }
    }

    public static String keyIn(String datasetPrefix) {
        return datasetPrefix + "/shards.json";
    }

    public static ShardIndex read(ObjectStore store, String key) {
        try {
            return Json.read(store.get(key), ShardIndex.class);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("the dataset's shard index " + key + " is unreadable: " + e.getMessage(), e.getCause());
        }
    }
}
