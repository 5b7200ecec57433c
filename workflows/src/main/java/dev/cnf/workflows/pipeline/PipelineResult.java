package dev.cnf.workflows.pipeline;

/** Where the run's outputs are, as s3:// URIs, plus the headline numbers and whether the version became latest. */
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
        String promotionDecision) {}
