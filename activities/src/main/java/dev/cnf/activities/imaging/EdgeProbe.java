package dev.cnf.activities.imaging;

import org.opencv.core.Core;
import org.opencv.core.Mat;
import org.opencv.core.CvType;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

import java.util.List;

/**
 * Controllability of an edge-conditioned model, as ControlNet++ measures it: Canny edges
 * re-extracted from each generated sample, compared with the input edge map (F1, 1 px tolerance).
 */
public final class EdgeProbe {
    static final double LOW = 100;
    static final double HIGH = 200;

    private EdgeProbe() {}

    /**
     * Edge F1 and edge SSIM of one sample against its condition. Edge SSIM is the structural similarity
     * (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, range 1) between the input
     * edge map and the sample's Canny edges, both as 0/1 images: softer than F1, near-misses still count.
     */
    public record Scores(double f1, double ssim) {}

    /** The condition's edges (white above 127) and the sample's Canny edges, each as a 0/255 mask. */
    private record Masks(Mat truth, Mat edges) {}

    private static Masks masks(float[] sample, float[] condition, int width, int height) {
        OpenCv.load();
        Mat truth = new Mat();
        Core.compare(OpenCv.toGray(OpenCv.fromChw(condition, width, height, 0f, 1f)), new Scalar(127), truth, Core.CMP_GT);
        Mat edges = OpenCv.canny(OpenCv.toGray(OpenCv.fromChw(sample, width, height, -1f, 1f)), LOW, HIGH);
        return new Masks(truth, edges);
    }

    /** F1 of one square sample (RGB CHW in [-1,1]) against its condition (RGB CHW in [0,1], edges white). */
    public static double f1(float[] sample, float[] condition, int size) {
        return f1(sample, condition, size, size);
    }

    /** F1 of one {@code width x height} sample against its condition. */
    public static double f1(float[] sample, float[] condition, int width, int height) {
        Masks m = masks(sample, condition, width, height);
        return OpenCv.edgeF1(m.edges(), m.truth(), 1);
    }

    /** Both scores from one Canny pass over the (square) sample. */
    public static Scores scores(float[] sample, float[] condition, int size) {
        return scores(sample, condition, size, size);
    }

    /** Both scores of one {@code width x height} sample. */
    public static Scores scores(float[] sample, float[] condition, int width, int height) {
        Masks m = masks(sample, condition, width, height);
        return new Scores(OpenCv.edgeF1(m.edges(), m.truth(), 1), ssim(unit(m.truth()), unit(m.edges())));
    }

    /** A 0/255 mask as 0/1 doubles. */
    private static Mat unit(Mat mask) {
        Mat f = new Mat();
        mask.convertTo(f, CvType.CV_64F, 1 / 255.0);
        return f;
    }

    /** Mean SSIM of two single-channel CV_64F images with values in [0, 1]. */
    static double ssim(Mat x, Mat y) {
        double c1 = 0.01 * 0.01;
        double c2 = 0.03 * 0.03;
        Size window = new Size(11, 11);
        Mat muX = blur(x, window);
        Mat muY = blur(y, window);
        Mat muXX = muX.mul(muX);
        Mat muYY = muY.mul(muY);
        Mat muXY = muX.mul(muY);
        Mat sXX = new Mat();
        Core.subtract(blur(x.mul(x), window), muXX, sXX);
        Mat sYY = new Mat();
        Core.subtract(blur(y.mul(y), window), muYY, sYY);
        Mat sXY = new Mat();
        Core.subtract(blur(x.mul(y), window), muXY, sXY);
        Mat num1 = new Mat();
        Core.add(muXY, new Scalar(c1 / 2), num1); // (2 muXY + c1) = 2 (muXY + c1/2)
        Mat num2 = new Mat();
        Core.add(sXY, new Scalar(c2 / 2), num2);
        Mat den1 = new Mat();
        Core.add(muXX, muYY, den1);
        Core.add(den1, new Scalar(c1), den1);
        Mat den2 = new Mat();
        Core.add(sXX, sYY, den2);
        Core.add(den2, new Scalar(c2), den2);
        Mat num = num1.mul(num2, 4);
        Mat den = den1.mul(den2);
        Mat map = new Mat();
        Core.divide(num, den, map);
        return Core.mean(map).val[0];
    }

    private static Mat blur(Mat m, Size window) {
        Mat out = new Mat();
        Imgproc.GaussianBlur(m, out, window, 1.5, 1.5, Core.BORDER_REFLECT);
        return out;
    }

    public static double meanF1(List<float[]> samples, List<float[]> conditions, int size) {
        return meanF1WithError(samples, conditions, size)[0];
    }

    /** The mean edge F1 over the samples and its standard error (0 with one sample): {mean, standard error}. */
    public static double[] meanF1WithError(List<float[]> samples, List<float[]> conditions, int size) {
        return meanF1WithError(samples, conditions, java.util.Collections.nCopies(samples.size(), new int[] {size, size}));
    }

    /** As above, each sample at its own {width, height}. */
    public static double[] meanF1WithError(List<float[]> samples, List<float[]> conditions, List<int[]> sizes) {
        int n = samples.size();
        double[] f1 = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            f1[i] = f1(samples.get(i), conditions.get(i), sizes.get(i)[0], sizes.get(i)[1]);
            sum += f1[i];
        }
        double mean = sum / n;
        double squares = 0;
        for (double v : f1) {
            squares += (v - mean) * (v - mean);
        }
        return new double[] {mean, n < 2 ? 0 : Math.sqrt(squares / (n - 1) / n)};
    }
}
