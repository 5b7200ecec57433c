package dev.cnf.activities.conditions;

import org.opencv.core.Mat;

import java.util.Map;
import java.util.SplittableRandom;

/** A condition extractor: image in, condition image out, deterministic for a given random source. */
public interface ConditionExtractor {
    String name();

    /**
     * The condition image for a BGR uint8 image, plus the parameters it chose (recorded per sample).
     * Maps that are grey by nature (edges, lines, scribbles, depth) come back with one channel, colour
     * maps (normals, segmentation, pose) as BGR; stored with {@code OpenCv.encodeCompactPng}, both read
     * back as the same BGR image with IMREAD_COLOR.
     */
    Extracted extract(Mat bgr, SplittableRandom random);

    record Extracted(Mat image, Map<String, Object> params) {}
}
