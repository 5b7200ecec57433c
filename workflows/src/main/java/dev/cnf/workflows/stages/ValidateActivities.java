package dev.cnf.workflows.stages;

import dev.cnf.workflows.pipeline.PipelineInput;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.List;

/** The first activity of a run: checks what only I/O can tell (files and buckets exist) before any work starts. */
@ActivityInterface
public interface ValidateActivities {
    /** @param checked what was looked at, for the status; a problem fails the activity with a non-retryable InvalidInput */
    record Result(List<String> checked) {}

    @ActivityMethod
    Result validate(PipelineInput input);
}
