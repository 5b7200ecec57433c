package dev.cnf.activities.conditions;

import dev.cnf.workflows.spec.Condition;

import dev.cnf.activities.imaging.OpenCv;
import org.opencv.core.Mat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Canny edges with random thresholds per image, as the paper trains its Canny model: low in
 * [50, 150), high = low + [50, 150). The edge map is white on black, one channel.
 */
public final class CannyCondition implements ConditionExtractor {
    @Override
    public String name() {
        return Condition.CANNY.id();
    }

    @Override
    public Extracted extract(Mat bgr, SplittableRandom random) {
        int low = 50 + random.nextInt(100);
        int high = low + 50 + random.nextInt(100);
        Mat edges = OpenCv.canny(OpenCv.toGray(bgr), low, high);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("low", low);
        params.put("high", high);
        return new Extracted(edges, params);
    }
}
