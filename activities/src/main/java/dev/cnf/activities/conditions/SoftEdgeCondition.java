package dev.cnf.activities.conditions;

import dev.cnf.workflows.spec.Condition;

import dev.cnf.activities.imaging.OpenCv;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Soft edges in the spirit of HED: gradient magnitude at three scales (Gaussian sigma 1, 2, 4), each
 * normalised to its own maximum, combined by a per-pixel maximum into one grey-level edge-strength map.
 * A classical stand-in for the learned HED network, which plugs in as an annotator model (issue 5, item 3).
 */
public final class SoftEdgeCondition implements ConditionExtractor {
    static final double[] SIGMAS = {1, 2, 4};

    @Override
    public String name() {
        return Condition.SOFTEDGE.id();
    }

    /** Edge strength in [0, 1] as CV_32F. */
    static Mat strength(Mat bgr) {
        Mat gray = new Mat();
        OpenCv.toGray(bgr).convertTo(gray, CvType.CV_32F, 1 / 255.0);
        Mat best = Mat.zeros(gray.size(), CvType.CV_32F);
        for (double sigma : SIGMAS) {
            Mat blurred = new Mat();
            Imgproc.GaussianBlur(gray, blurred, new Size(0, 0), sigma);
            Mat gx = new Mat();
            Mat gy = new Mat();
            Imgproc.Sobel(blurred, gx, CvType.CV_32F, 1, 0);
            Imgproc.Sobel(blurred, gy, CvType.CV_32F, 0, 1);
            Mat magnitude = new Mat();
            Core.magnitude(gx, gy, magnitude);
            double max = Core.minMaxLoc(magnitude).maxVal;
            if (max > 0) {
                Core.multiply(magnitude, new org.opencv.core.Scalar(1 / max), magnitude);
            }
            Core.max(best, magnitude, best);
        }
        return best;
    }

    @Override
    public Extracted extract(Mat bgr, SplittableRandom random) {
        Mat soft = strength(bgr);
        Mat u8 = new Mat();
        soft.convertTo(u8, CvType.CV_8U, 255);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("sigmas", SIGMAS);
        return new Extracted(u8, params);
    }
}
