package dev.cnf.workflows.stages;

import dev.cnf.workflows.spec.ConditionSpec;
import dev.cnf.workflows.spec.DataSpec;
import dev.cnf.workflows.spec.ModelSpec;
import dev.cnf.workflows.spec.RunContext;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.List;
import java.util.Map;

/** Decodes, validates, normalises and de-duplicates images at the training resolution. */
@ActivityInterface
public interface CleanActivities {
    /**
     * @param data         the limits images are checked against; with {@code onlyNewData} the images the run's model was
     *                     trained on are dropped
     * @param model        images are normalised to its resolution
     * @param conditioning extracted from each kept image while it is decoded (null: left to the condition stage)
     */
    record ShardRequest(RunContext run, int shard, String itemsKey, DataSpec data, ModelSpec model, ConditionSpec conditioning) {}

    /** seen == candidates + sum(dropped); candidatesKey lists decoded, normalised images with their hashes. */
    record ShardResult(int shard, int seen, int candidates, Map<String, Integer> dropped, String candidatesKey, String dropsKey) {}

    /**
     * @param dropsKeys              drop lists from before the shards (discovery's): the report counts them all
     * @param seen                   image references discovered in this run
     * @param shards                 shards 0..shards-1 of this run prefix are read where the shard activities store them
     *                               (candidates in shard order: the first of duplicates is kept), so no list has to travel
     *                               through the workflow
     * @param data                   its {@code nearDuplicateDistance} decides what counts as a near duplicate
     */
    record DedupeRequest(RunContext run, List<String> dropsKeys, int seen, int shards, DataSpec data) {}

    /** Decodes and normalises one fetched shard. */
    @ActivityMethod
    ShardResult cleanShard(ShardRequest request);

    /** Drops exact and near duplicates across all shards and writes the dataset table and the cleaning report. */
    @ActivityMethod
    Result dedupe(DedupeRequest request);

    /** seen == kept + sum(dropped), always. */
    record Result(int seen, int kept, Map<String, Integer> dropped, String samplesKey, String reportKey) {}
}
