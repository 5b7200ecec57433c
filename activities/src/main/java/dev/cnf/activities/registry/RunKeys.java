package dev.cnf.activities.registry;

import dev.cnf.activities.dataset.ShardIndex;

/** Where a run's stages keep their per-shard files under the run prefix: one stage writes them, a later one reads them. */
public final class RunKeys {
    private RunKeys() {}

    /** Shard {@code shard}'s image references, as discovery wrote them. */
    public static String ingestRefs(String runPrefix, int shard) {
        return String.format("%s/ingest/refs/shard-%05d.jsonl", runPrefix, shard);
    }

    /** The common start of shard {@code shard}'s fetch results (items, drops, result). */
    public static String ingestShard(String runPrefix, int shard) {
        return String.format("%s/ingest/shards/shard-%05d", runPrefix, shard);
    }

    /** When lane {@code lane}'s hosts were last requested: one shard of a lane hands its pacing to the next. */
    public static String ingestLane(String runPrefix, int lane) {
        return String.format("%s/ingest/lanes/lane-%04d.json", runPrefix, lane);
    }

    /** What fetching shard {@code shard} dropped, and why; the dedupe counts these in the cleaning report. */
    public static String ingestDrops(String runPrefix, int shard) {
        return ingestShard(runPrefix, shard) + ".drops.jsonl";
    }

    /**
     * An evaluation's sample image: {@code <evaluation folder>samples/<mode>/<id>.png}, the evaluation folder being where
     * its metrics.json is; mode is a prompt mode, {@code no-control} or {@code condition}.
     */
    public static String evaluationSample(String evaluationFolder, String mode, String sampleId) {
        return evaluationFolder + "samples/" + mode + "/" + sampleId + ".png";
    }

    /** The folder of an evaluation, from its metrics.json key. */
    public static String evaluationFolder(String metricsKey) {
        return metricsKey.substring(0, metricsKey.lastIndexOf('/') + 1);
    }

    /** The dataset table the condition stage writes: every sample with its condition, in the shards' order. */
    public static String conditionTable(String runPrefix) {
        return runPrefix + CONDITION_TABLE;
    }

    /** Where the condition stage writes the dataset's WebDataset shards, their manifest and their index. */
    public static String dataset(String runPrefix) {
        return runPrefix + "/dataset";
    }

    /** The shard index beside the shards of the dataset whose table is {@code conditionTable}. */
    public static String datasetShardsOf(String conditionTable) {
        if (!conditionTable.endsWith(CONDITION_TABLE)) {
            throw new IllegalArgumentException("the dataset table " + conditionTable + " is not a condition stage's ("
                    + "<run>" + CONDITION_TABLE + "): training streams the shards written beside such a table");
        }
        return ShardIndex.keyIn(dataset(conditionTable.substring(0, conditionTable.length() - CONDITION_TABLE.length())));
    }

    private static final String CONDITION_TABLE = "/condition/samples.jsonl";
}
