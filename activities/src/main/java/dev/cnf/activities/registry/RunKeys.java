package dev.cnf.activities.registry;

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
}
