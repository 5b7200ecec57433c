package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.EvaluateActivities;
import dev.cnf.workflows.stages.TrainActivities;

/**
 * Model selection ({@code selectCheckpoint: best}): of the checkpoints evaluated during training and the last step's
 * weights, the one with the highest held-out edge F1 (the later one on a tie). The model card states the choice.
 *
 * @param step       the chosen checkpoint's step
 * @param lastStep   the last step trained
 * @param evaluated  how many checkpoints were compared, the last step's included
 * @param edgeF1     the chosen checkpoint's held-out edge F1
 * @param lastEdgeF1 the last step's
 */
public record CheckpointChoice(int step, int lastStep, int evaluated, double edgeF1, double lastEdgeF1) {

    /** What the run publishes: the chosen weights (in {@code trained}'s shape) and their evaluation. */
    public record Publishable(TrainActivities.Result trained, EvaluateActivities.Result evaluated, CheckpointChoice choice) {}

    /** The best of {@code trained}'s evaluations during training and the final evaluation {@code last}. */
    public static Publishable best(TrainingWorkflow.Result trained, EvaluateActivities.Result last) {
        TrainActivities.Result tr = trained.training();
        TrainingWorkflow.Evaluated chosen = null;
        for (TrainingWorkflow.Evaluated e : trained.duringTraining()) { // in step order; a later one wins a tie
            if (e.result().keptWeightsKey() != null && (chosen == null || e.result().edgeF1() >= chosen.result().edgeF1())) {
                chosen = e;
            }
        }
        if (chosen == null || last.edgeF1() >= chosen.result().edgeF1()) {
            chosen = new TrainingWorkflow.Evaluated(tr.steps(), last);
        }
        int step = chosen.step();
        String weightsKey = step == tr.steps() ? tr.weightsKey() : chosen.result().keptWeightsKey();
        return new Publishable(tr.withWeightsKey(weightsKey), chosen.result(),
                new CheckpointChoice(step, tr.steps(), trained.duringTraining().size() + 1, chosen.result().edgeF1(), last.edgeF1()));
    }
}
