package dev.cnf.activities.condition;

import org.opencv.core.Mat;

import java.util.Map;
import java.util.SplittableRandom;

/** A condition extractor: image in, condition image out, deterministic for a given random source. */
public interface Condition {
    String name();

    /** The condition image for a BGR uint8 image, plus the parameters it chose (recorded per sample). */
    Extracted extract(Mat bgr, SplittableRandom random);

    record Extracted(Mat image, Map<String, Object> params) {}
}
