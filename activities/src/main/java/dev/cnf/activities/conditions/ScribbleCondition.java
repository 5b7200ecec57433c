package dev.cnf.activities.conditions;

import dev.cnf.workflows.spec.Condition;

import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Scribbles synthesised from soft edges as the paper does for its scribble model: threshold the edge
 * strength, thin to a one-pixel skeleton, thicken by a random dilation, erase random blobs (masking),
 * and bend everything slightly with a smooth random displacement field. All choices are drawn from
 * the given random source and recorded.
 */
public final class ScribbleCondition implements ConditionExtractor {
    @Override
    public String name() {
        return Condition.SCRIBBLE.id();
    }

    @Override
    public Extracted extract(Mat bgr, SplittableRandom random) {
        double threshold = 0.25 + 0.2 * random.nextDouble();
        Mat soft = SoftEdgeCondition.strength(bgr);
        Mat binary = new Mat();
        Imgproc.threshold(soft, binary, threshold, 255, Imgproc.THRESH_BINARY);
        binary.convertTo(binary, CvType.CV_8U);
        Mat lines = skeleton(binary);
        int thickness = 1 + random.nextInt(3);
        Mat kernel = Imgproc.getStructuringElement(Imgproc.MORPH_ELLIPSE, new Size(2 * thickness + 1, 2 * thickness + 1));
        Imgproc.dilate(lines, lines, kernel);
        int blobs = random.nextInt(4);
        int size = Math.min(bgr.cols(), bgr.rows());
        for (int i = 0; i < blobs; i++) {
            Point c = new Point(random.nextInt(bgr.cols()), random.nextInt(bgr.rows()));
            Imgproc.circle(lines, c, size / 12 + random.nextInt(Math.max(1, size / 12)), new Scalar(0), -1);
        }
        double amplitude = size * (0.005 + 0.01 * random.nextDouble());
        Mat bent = distort(lines, amplitude, random);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("threshold", threshold);
        params.put("thickness", thickness);
        params.put("maskedBlobs", blobs);
        params.put("distortionPx", amplitude);
        return new Extracted(bent, params);
    }

    /** Morphological skeleton (Lantuéjoul): the union of erosions minus their openings. */
    static Mat skeleton(Mat binary) {
        Mat skel = Mat.zeros(binary.size(), CvType.CV_8U);
        Mat img = binary.clone();
        Mat cross = Imgproc.getStructuringElement(Imgproc.MORPH_CROSS, new Size(3, 3));
        Mat eroded = new Mat();
        Mat opened = new Mat();
        while (Core.countNonZero(img) > 0) {
            Imgproc.erode(img, eroded, cross);
            Imgproc.dilate(eroded, opened, cross);
            Core.subtract(img, opened, opened);
            Core.bitwise_or(skel, opened, skel);
            eroded.copyTo(img);
        }
        return skel;
    }

    /** Remaps by a smooth random displacement field of about {@code amplitude} pixels. */
    static Mat distort(Mat src, double amplitude, SplittableRandom random) {
        int h = src.rows();
        int w = src.cols();
        Mat dx = noise(h, w, random);
        Mat dy = noise(h, w, random);
        Mat mapX = new Mat(h, w, CvType.CV_32F);
        Mat mapY = new Mat(h, w, CvType.CV_32F);
        float[] bx = new float[h * w];
        float[] by = new float[h * w];
        float[] nx = new float[h * w];
        float[] ny = new float[h * w];
        dx.get(0, 0, nx);
        dy.get(0, 0, ny);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                bx[y * w + x] = (float) (x + amplitude * nx[y * w + x]);
                by[y * w + x] = (float) (y + amplitude * ny[y * w + x]);
            }
        }
        mapX.put(0, 0, bx);
        mapY.put(0, 0, by);
        Mat out = new Mat();
        Imgproc.remap(src, out, mapX, mapY, Imgproc.INTER_NEAREST, Core.BORDER_CONSTANT, new Scalar(0));
        return out;
    }

    /** Uniform noise in [-1, 1], blurred into a smooth field and rescaled to unit peak. */
    private static Mat noise(int h, int w, SplittableRandom random) {
        float[] v = new float[h * w];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1);
        }
        Mat m = new Mat(h, w, CvType.CV_32F);
        m.put(0, 0, v);
        Imgproc.GaussianBlur(m, m, new Size(0, 0), Math.max(2, Math.min(h, w) / 16.0));
        Core.MinMaxLocResult r = Core.minMaxLoc(m);
        double peak = Math.max(Math.abs(r.minVal), Math.abs(r.maxVal));
        if (peak > 0) {
            Core.multiply(m, new Scalar(1 / peak), m);
        }
        return m;
    }
}
