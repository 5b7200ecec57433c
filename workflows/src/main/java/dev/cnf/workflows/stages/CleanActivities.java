package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.List;
import java.util.Map;

/** Decodes, validates, normalises and de-duplicates images at the training resolution. */
@ActivityInterface
public interface CleanActivities {
    /**
     * @param maxAspectRatio longer over shorter side allowed (BAD_ASPECT above it)
     * @param maxPixels      header width x height allowed (TOO_MANY_PIXELS above it, before decoding)
     * @param skipTrainedBy  a model name: drop images its latest version was trained on (null keeps them)
     * @param condition      extract this condition from each kept image while it is decoded (null: leave it to the condition stage)
     * @param seed           seeds the condition's per-image randomness, with the image's hash
     * @param annotatorModel the model of a model-backed condition
     */
    record ShardRequest(String runPrefix, int shard, String itemsKey, int minSide, int resolution, double maxAspectRatio,
                        long maxPixels, String skipTrainedBy, String condition, Long seed, String annotatorModel) {}

    /** seen == candidates + sum(dropped); candidatesKey lists decoded, normalised images with their hashes. */
    record ShardResult(int shard, int seen, int candidates, Map<String, Integer> dropped, String candidatesKey, String dropsKey) {}

    /**
     * @param dropsKeys              drop lists from before the shards (discovery's): the report counts them all
     * @param seen                   image references discovered in this run
     * @param nearDuplicateDistance  perceptual-hash Hamming distance counted as a near duplicate; -1 turns the check off
     * @param shards                 shards 0..shards-1 of this run prefix are read where the shard activities store them
     *                               (candidates in shard order: the first of duplicates is kept), so no list has to travel
     *                               through the workflow
     */
    record DedupeRequest(String runPrefix, List<String> dropsKeys, int seen, int nearDuplicateDistance, int shards) {}

    /** Decodes and normalises one fetched shard. */
    @ActivityMethod
    ShardResult cleanShard(ShardRequest request);

    /** Drops exact and near duplicates across all shards and writes the dataset table and the cleaning report. */
    @ActivityMethod
    Result dedupe(DedupeRequest request);

    /** seen == kept + sum(dropped), always. */
    record Result(int seen, int kept, Map<String, Integer> dropped, String samplesKey, String reportKey) {}
}
