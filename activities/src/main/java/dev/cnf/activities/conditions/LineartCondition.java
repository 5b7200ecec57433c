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
 * Cartoon line drawings with XDoG (Winnemöller et al. 2012), in its τ form on intensities in [0, 1]:
 * {@code D = G(σ) − τ·G(kσ)}, paper white where {@code D ≥ ε}, strokes {@code 1 + tanh(φ(D − ε))}
 * below; the dark strokes become white lines on black, as ControlNet's line-art models expect.
 */
public final class LineartCondition implements ConditionExtractor {
    static final double SIGMA = 0.8;
    static final double K = 1.6;
    static final double TAU = 0.98;
    static final double EPSILON = -0.01;
    static final double PHI = 200;

    @Override
    public String name() {
        return Condition.LINEART.id();
    }

    @Override
    public Extracted extract(Mat bgr, SplittableRandom random) {
        Mat gray = new Mat();
        OpenCv.toGray(bgr).convertTo(gray, CvType.CV_32F, 1 / 255.0);
        Mat g1 = new Mat();
        Mat g2 = new Mat();
        Imgproc.GaussianBlur(gray, g1, new Size(0, 0), SIGMA);
        Imgproc.GaussianBlur(gray, g2, new Size(0, 0), SIGMA * K);
        Mat d = new Mat();
        Core.addWeighted(g1, 1, g2, -TAU, 0, d);
        int n = d.rows() * d.cols();
        float[] v = new float[n];
        d.get(0, 0, v);
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            double t = v[i] >= EPSILON ? 1 : 1 + Math.tanh(PHI * (v[i] - EPSILON));
            out[i] = (byte) Math.round(255 * (1 - Math.max(0, Math.min(1, t)))); // dark stroke → white line
        }
        Mat lines = new Mat(d.rows(), d.cols(), CvType.CV_8U);
        lines.put(0, 0, out);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("sigma", SIGMA);
        params.put("k", K);
        params.put("tau", TAU);
        params.put("epsilon", EPSILON);
        params.put("phi", PHI);
        return new Extracted(lines, params);
    }
}
