package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.CleanActivities;

import java.util.List;

/**
 * A run's dataset after the condition stage: what training, evaluation and publishing read. A run given one as its
 * input's {@code dataset} trains on it and skips ingest, clean, caption and condition (a study's arms share one this way;
 * a prepare-only run, {@code stopAfter: "condition"}, returns one).
 *
 * @param preparedBy  the workflow id of the run that prepared it
 * @param cleaned     its clean stage's counts, drops and report (the model card and the evaluation report quote them)
 * @param samplesKey  the dataset table with captions and conditions
 * @param conditioned the table's rows
 * @param resolution  the resolution the images were cleaned to
 * @param condition   the condition extracted from them
 */
public record PreparedDataset(String preparedBy, CleanActivities.Result cleaned, String samplesKey, int conditioned, int resolution,
                              String condition) {
    /** What stops a run with {@code resolution} and {@code condition} from training on this dataset. */
    void addProblems(List<String> p, int runResolution, String runCondition) {
        if (samplesKey == null || samplesKey.isBlank() || cleaned == null || conditioned < 1) {
            p.add("dataset: give a prepared dataset as a run's result returned it (samplesKey, cleaned, conditioned >= 1)");
            return;
        }
        if (resolution != runResolution) {
            p.add("dataset: prepared at resolution " + resolution + " by " + preparedBy + ", this run trains at " + runResolution
                    + "; set resolution " + resolution + " or prepare the dataset again");
        }
        if (!condition.equals(runCondition)) {
            p.add("dataset: its condition is " + condition + ", this run asks for " + runCondition + "; set condition " + condition
                    + " or prepare the dataset again");
        }
    }
}
