package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Samples images from held conditions and writes an HTML report with controllability numbers. */
@ActivityInterface
public interface EvaluateActivities {
    /** Samples the held-out split (the same one training kept aside, see {@code samples}). */
    record Request(String runPrefix, String samplesKey, String weightsKey, String metricsKey, String cleanReportKey,
                   String modelConfig, String baseModel, int samples, int steps, double guidanceScale, long seed, Integer convergedStep) {}

    /** @param edgeF1 mean F1 between the input edges and Canny edges of the samples (controllability) */
    record Result(String reportKey, String evalMetricsKey, int samples, double edgeF1) {}

    @ActivityMethod
    Result evaluate(Request request);
}
