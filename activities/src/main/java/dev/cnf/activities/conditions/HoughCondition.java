package dev.cnf.activities.conditions;

import dev.cnf.workflows.spec.Condition;

import dev.cnf.activities.imaging.OpenCv;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgproc.Imgproc;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Straight lines, the paper's M-LSD condition, computed with OpenCV's probabilistic Hough transform
 * as a classical SUBSTITUTE for the learned M-LSD detector: Canny edges, then {@code HoughLinesP};
 * segments drawn white on black, 1 px. The vote threshold is drawn per image (recorded).
 */
public final class HoughCondition implements ConditionExtractor {
    @Override
    public String name() {
        return Condition.HOUGH.id();
    }

    @Override
    public Extracted extract(Mat bgr, SplittableRandom random) {
        int votes = 40 + random.nextInt(40);
        int size = Math.min(bgr.cols(), bgr.rows());
        double minLength = Math.max(8, size / 16.0);
        Mat edges = OpenCv.canny(OpenCv.toGray(bgr), 100, 200);
        Mat lines = new Mat();
        Imgproc.HoughLinesP(edges, lines, 1, Math.PI / 180, votes, minLength, 4);
        Mat out = Mat.zeros(bgr.rows(), bgr.cols(), CvType.CV_8UC1);
        for (int i = 0; i < lines.rows(); i++) {
            double[] l = lines.get(i, 0);
            Imgproc.line(out, new Point(l[0], l[1]), new Point(l[2], l[3]), new Scalar(255), 1);
        }
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("votes", votes);
        params.put("minLineLength", minLength);
        params.put("lines", lines.rows());
        edges.release();
        lines.release();
        return new Extracted(out, params);
    }
}
