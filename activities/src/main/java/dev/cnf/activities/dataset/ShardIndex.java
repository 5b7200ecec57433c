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
 * @param sizes     the training images' sizes ({@code 576x448}), one unless the dataset was cleaned into aspect buckets;
 *                  null (an index written before sizes were kept) is the run's square resolution
 */
public record ShardIndex(String condition, int samples, List<Shard> shards, List<String> sizes) {
    /**
     * One tar shard: its object key and its samples, which follow the previous shard's in the table.
     *
     * @param sizeOf each sample's index in {@link #sizes}, in the shard's order; null when the dataset has one size
     */
    public record Shard(String key, int samples, int[] sizeOf) {
        public Shard(String key, int samples) {
            this(key, samples, null);
        }
    }

    public ShardIndex {
        shards = List.copyOf(shards);
        sizes = sizes == null ? null : List.copyOf(sizes);
        int sum = shards.stream().mapToInt(Shard::samples).sum();
        if (sum != samples) {
            throw new IllegalArgumentException("shard index: the shards hold " + sum + " samples, the index says " + samples);
        }
        int known = sizes == null ? 0 : sizes.size();
        for (Shard s : shards) {
            if (s.sizeOf() != null && (s.sizeOf().length != s.samples()
                    || java.util.Arrays.stream(s.sizeOf()).anyMatch(i -> i < 0 || i >= known))) {
                throw new IllegalArgumentException("shard index: " + s.key() + " names the sizes of " + s.sizeOf().length + " samples of "
                        + s.samples() + ", or a size outside " + sizes);
            }
        }
    }

    /** Whether the samples come in more than one size (aspect buckets): a batch then takes one size. */
    public boolean bucketed() {
        return sizes != null && sizes.size() > 1;
    }

    /** Each of the first {@code rows} rows' index in {@link #sizes}, in the table's order: what batches group by. */
    public byte[] sizeOfRows(int rows) {
        byte[] out = new byte[rows];
        int row = 0;
        for (Shard s : shards) {
            for (int m = 0; m < s.samples() && row < rows; m++) {
                out[row++] = (byte) (s.sizeOf() == null ? 0 : s.sizeOf()[m]);
            }
        }
        return out;
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
