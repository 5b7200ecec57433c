package dev.cnf.activities.imaging;

import org.opencv.core.Core;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;

import java.util.List;

/**
 * Controllability of an edge-conditioned model, as ControlNet++ measures it: Canny edges
 * re-extracted from each generated sample, compared with the input edge map (F1, 1 px tolerance).
 */
public final class EdgeProbe {
    static final double LOW = 100;
    static final double HIGH = 200;

    private EdgeProbe() {}

    /** F1 of one sample (RGB CHW in [-1,1]) against its condition (RGB CHW in [0,1], edges white). */
    public static double f1(float[] sample, float[] condition, int size) {
        OpenCv.load();
        Mat truth = new Mat();
        Core.compare(OpenCv.toGray(OpenCv.fromChw(condition, size, 0f, 1f)), new Scalar(127), truth, Core.CMP_GT);
        Mat edges = OpenCv.canny(OpenCv.toGray(OpenCv.fromChw(sample, size, -1f, 1f)), LOW, HIGH);
        return OpenCv.edgeF1(edges, truth, 1);
    }

    public static double meanF1(List<float[]> samples, List<float[]> conditions, int size) {
        double sum = 0;
        for (int i = 0; i < samples.size(); i++) {
            sum += f1(samples.get(i), conditions.get(i), size);
        }
        return sum / samples.size();
    }
}
