package dev.cnf.workflows.stages;

import dev.cnf.workflows.pipeline.CheckpointChoice;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.spec.RunContext;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Publishes a versioned, checksummed, diffusers-layout model folder; the manifest is written last,
 * nothing is overwritten, and the version becomes {@code latest} only if it passes the promotion gate.
 */
@ActivityInterface
public interface PublishActivities {
    /**
     * What the published version states about the run that made it: the model card is written from these typed facts
     * (by the activity, not in workflow code).
     *
     * @param input   the run's input, every default filled in
     * @param cleaned how many images were seen and kept
     */
    record RunFacts(String workflowId, String runId, PipelineInput input, CleanActivities.Result cleaned) {}

    /**
     * @param version    the version to publish under {@code models/<run name>/}
     * @param trained    the ControlNet's weights and config (and in large mode the base UNet) come from here
     * @param evaluated  the report and the metrics the promotion gate reads ({@code input.publish().promotionTolerance()})
     * @param samplesKey the dataset table, listed in {@code training_data.jsonl} (null: no list)
     * @param choice     with {@code selectCheckpoint: best}, which evaluated checkpoint {@code trained} and {@code evaluated}
     *                   are (null: the last step's)
     */
    record Request(RunContext run, String version, RunFacts facts, TrainActivities.Result trained, EvaluateActivities.Result evaluated,
                   String samplesKey, CheckpointChoice choice) {}

    /** @param promoted whether latest.json now names this version; {@code decision} says why or why not */
    record Result(String modelUri, String manifestUri, String reportUri, boolean promoted, String decision) {}

    @ActivityMethod
    Result publish(Request request);
}
