package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Samples images from held conditions and writes an HTML report with controllability numbers. */
@ActivityInterface
public interface EvaluateActivities {
    record Request(String runPrefix, String samplesKey, String weightsKey, String metricsKey, String cleanReportKey,
                   String modelConfig, long baseSeed, int samples, int steps, double guidanceScale, long seed) {}

    /** @param edgeF1 mean F1 between the input edges and Canny edges of the samples (controllability) */
    record Result(String reportKey, String evalMetricsKey, int samples, double edgeF1) {}

    @ActivityMethod
    Result evaluate(Request request);
}
