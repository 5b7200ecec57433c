package dev.cnf.activities.conditions;

import dev.cnf.workflows.spec.Condition;

import dev.cnf.activities.imaging.OpenCv;
import org.opencv.core.Core;
import org.opencv.core.Mat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * User sketches imported as they are, normalised: grey, strokes white on black (a sketch on white
 * paper is inverted, decided by the median), contrast stretched to the full range.
 */
public final class SketchCondition implements ConditionExtractor {
    @Override
    public String name() {
        return Condition.SKETCH.id();
    }

    @Override
    public Extracted extract(Mat bgr, SplittableRandom random) {
        Mat gray = OpenCv.toGray(bgr);
        boolean paperIsLight = Core.mean(gray).val[0] > 127;
        if (paperIsLight) {
            Core.bitwise_not(gray, gray);
        }
        Mat stretched = new Mat();
        Core.normalize(gray, stretched, 0, 255, Core.NORM_MINMAX);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("inverted", paperIsLight);
        return new Extracted(stretched, params);
    }
}
