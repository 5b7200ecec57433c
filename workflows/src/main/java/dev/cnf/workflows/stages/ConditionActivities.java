package dev.cnf.workflows.stages;

import dev.cnf.workflows.spec.ConditionSpec;
import dev.cnf.workflows.spec.RunContext;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Extracts the control condition image (e.g. Canny edges) of every sample. */
@ActivityInterface
public interface ConditionActivities {
    record Request(RunContext run, String samplesKey, ConditionSpec conditioning) {}

    /**
     * @param samplesKey  the dataset table with condition keys
     * @param manifestKey JSON lines, one row per sample (source URL, hashes, caption, shard) beside the WebDataset
     *                    tar shards (image, caption .txt, metadata .json, condition .png)
     * @param fromShards  conditions already extracted in the clean shards, where the images were decoded anyway
     */
    record Result(int conditioned, String samplesKey, String manifestKey, int fromShards) {}

    @ActivityMethod
    Result condition(Request request);
}
