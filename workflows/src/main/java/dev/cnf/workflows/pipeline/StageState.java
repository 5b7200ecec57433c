package dev.cnf.workflows.pipeline;

/**
 * The state a status shows: the stage, whether a pause holds it, and during training the step it is at.
 *
 * @param atStep for an evaluation during training, the checkpoint's step; for paused training, the step reached (else null)
 */
public record StageState(Stage stage, boolean paused, Integer atStep) {
    public static StageState of(Stage stage) {
        return new StageState(stage, false, null);
    }

    public StageState pausedAt(Integer step) {
        return new StageState(stage, true, step);
    }

    /**
     * For people: "train", "evaluate (step 300)", "paused (train at step 40)", "paused (caption)" (a stage that has not
     * started yet, or ingestion, whose shards in flight finish while no new one starts).
     */
    public String describe() {
        if (!paused) {
            return atStep == null ? stage.id() : stage.id() + " (step " + atStep + ")";
        }
        return "paused (" + stage.id() + (atStep == null ? "" : " at step " + atStep) + ")";
    }
}
