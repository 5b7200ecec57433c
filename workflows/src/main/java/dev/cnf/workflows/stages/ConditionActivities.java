package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Extracts the control condition image (e.g. Canny edges) of every sample. */
@ActivityInterface
public interface ConditionActivities {
    record Request(String runPrefix, String samplesKey, String condition, long seed) {}

    record Result(int conditioned, String samplesKey) {}

    @ActivityMethod
    Result condition(Request request);
}
