package dev.cnf.activities.models.annotator;

import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfPoint;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * Draws body keypoints the way the reference OpenPose annotator did for ControlNet: 18 COCO keypoints as
 * filled circles (radius 4) in fixed colours, then 17 limbs as filled ellipses (half-width 4), each
 * blended onto the canvas at 0.6 over 0.4, on black.
 */
public final class OpenPoseSkeleton {
    /** 1-based keypoint pairs; the reference draws the first 17. */
    static final int[][] LIMBS = {{2, 3}, {2, 6}, {3, 4}, {4, 5}, {6, 7}, {7, 8}, {2, 9}, {9, 10}, {10, 11}, {2, 12}, {12, 13},
            {13, 14}, {2, 1}, {1, 15}, {15, 17}, {1, 16}, {16, 18}, {3, 17}, {6, 18}};
    /** RGB. */
    static final int[][] COLOURS = {{255, 0, 0}, {255, 85, 0}, {255, 170, 0}, {255, 255, 0}, {170, 255, 0}, {85, 255, 0},
            {0, 255, 0}, {0, 255, 85}, {0, 255, 170}, {0, 255, 255}, {0, 170, 255}, {0, 85, 255}, {0, 0, 255}, {85, 0, 255},
            {170, 0, 255}, {255, 0, 255}, {255, 0, 170}, {255, 0, 85}};
    static final int STICK_WIDTH = 4;

    private OpenPoseSkeleton() {}

    static Scalar bgr(int[] rgb) {
        return new Scalar(rgb[2], rgb[1], rgb[0]);
    }

    /**
     * @param keypoints {x, y, confidence} per keypoint
     * @param threshold keypoints below this confidence are left out, with their limbs
     */
    public static Mat draw(int height, int width, float[][] keypoints, double threshold) {
        Mat canvas = new Mat(height, width, CvType.CV_8UC3, new Scalar(0, 0, 0));
        for (int k = 0; k < 18; k++) {
            if (keypoints[k][2] >= threshold) {
                Imgproc.circle(canvas, new Point((int) keypoints[k][0], (int) keypoints[k][1]), 4, bgr(COLOURS[k]), -1);
            }
        }
        for (int i = 0; i < 17; i++) {
            float[] a = keypoints[LIMBS[i][0] - 1];
            float[] b = keypoints[LIMBS[i][1] - 1];
            if (a[2] < threshold || b[2] < threshold) {
                continue;
            }
            Mat layer = canvas.clone();
            double mx = (a[0] + b[0]) / 2.0, my = (a[1] + b[1]) / 2.0;
            double length = Math.hypot(a[0] - b[0], a[1] - b[1]);
            double angle = Math.toDegrees(Math.atan2(a[1] - b[1], a[0] - b[0]));
            MatOfPoint polygon = new MatOfPoint();
            Imgproc.ellipse2Poly(new Point((int) mx, (int) my), new Size((int) (length / 2), STICK_WIDTH), (int) angle, 0, 360, 1, polygon);
            Imgproc.fillConvexPoly(layer, polygon, bgr(COLOURS[i]));
            Core.addWeighted(canvas, 0.4, layer, 0.6, 0, canvas);
        }
        return canvas;
    }
}
