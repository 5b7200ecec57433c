package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.List;

/** Compares a study's arms: one report (HTML + JSON) from their training logs and evaluations. */
@ActivityInterface
public interface StudyActivities {
    /**
     * One arm of a study: a variant trained with one seed, as its own pipeline run.
     *
     * @param workflowId           the arm's pipeline run
     * @param modelUri             its published version (null if it failed)
     * @param trainingLogKey       its training log (null if it failed before training ended)
     * @param evaluationMetricsKey its published evaluation's metrics.json (null likewise)
     * @param error                why it failed, or null
     */
    record Arm(String name, String variant, long seed, String workflowId, String modelUri, String trainingLogKey,
               String evaluationMetricsKey, String error) {}

    /**
     * @param prefix      where the study's report goes ({@code studies/<workflow id>/<run id>})
     * @param studyId     the study's workflow id, named in the report
     * @param preparedBy  the run that prepared the dataset every arm trained on
     * @param samples     the dataset's conditioned samples
     * @param variants    the variants in the order the input gave them, each with the fields it sets (as JSON text)
     * @param arms        every arm, in the order they were started
     */
    record ReportRequest(String prefix, String studyId, String preparedBy, int samples, List<Variant> variants, List<Arm> arms) {}

    /** A variant as the report names it: its name and what it sets, as JSON. */
    record Variant(String name, String sets) {}

    /** Where the report is, as keys in the bucket and s3:// URIs. */
    record Report(String htmlKey, String jsonKey, String htmlUri, String jsonUri) {}

    @ActivityMethod
    Report report(ReportRequest request);
}
