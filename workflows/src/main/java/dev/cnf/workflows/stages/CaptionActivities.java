package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Gives every sample a caption. */
@ActivityInterface
public interface CaptionActivities {
    record Request(String runPrefix, String samplesKey, String captioner, String defaultPrompt) {}

    record Result(int captioned, int fromAltText, String samplesKey) {}

    @ActivityMethod
    Result caption(Request request);
}
