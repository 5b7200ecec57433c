package dev.cnf.workflows.pipeline;

/**
 * Where the run's outputs are, as s3:// URIs (the intermediate objects as keys in the run's bucket), plus the headline
 * numbers and whether the version became latest. A prepare-only run ({@code stopAfter: "condition"}) has only the image
 * counts and the {@code dataset}; its model fields are null and its numbers 0.
 *
 * @param convergedStep        the step at which sudden convergence was detected, or null
 * @param trainingLogKey       the training log (train/metrics.jsonl: steps, probes, the base deviation)
 * @param evaluationMetricsKey the published evaluation's metrics.json (per prompt mode, per sample)
 * @param dataset              the dataset this run trained on: another run given it as input skips ingest to condition
 */
public record PipelineResult(
        String name,
        String version,
        String modelUri,
        String manifestUri,
        String reportUri,
        int imagesSeen,
        int imagesKept,
        int trainSteps,
        double finalLoss,
        double edgeF1,
        boolean promoted,
        String promotionDecision,
        Integer convergedStep,
        String trainingLogKey,
        String evaluationMetricsKey,
        PreparedDataset dataset) {
    static PipelineResult prepared(String name, PreparedDataset dataset) {
        return new PipelineResult(name, "", null, null, null, dataset.cleaned().seen(), dataset.cleaned().kept(), 0, 0, 0, false,
                "stopped after condition: nothing trained or published", null, null, null, dataset);
    }
}
