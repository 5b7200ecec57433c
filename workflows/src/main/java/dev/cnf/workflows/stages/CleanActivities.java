package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.Map;

/** Decodes, validates, de-duplicates and normalises images to the training resolution. */
@ActivityInterface
public interface CleanActivities {
    /** @param skipTrainedBy a model name: drop images its latest version was trained on (null keeps them) */
    record Request(String runPrefix, String itemsKey, int minSide, int resolution, String skipTrainedBy) {}

    /** seen == kept + sum(dropped), always. */
    record Result(int seen, int kept, Map<String, Integer> dropped, String samplesKey, String reportKey) {}

    @ActivityMethod
    Result clean(Request request);
}
