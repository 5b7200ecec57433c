package dev.cnf.activities.models.annotator;

import org.opencv.core.CvType;
import org.opencv.core.Mat;

import java.util.HashMap;
import java.util.Map;

/**
 * The ADE20K colour palette the reference ControlNet segmentation model was trained on (150 classes,
 * RGB, the table published with the ADE20K benchmark code). Two classes share (140, 140, 140); a
 * colour maps back to the first of them.
 */
public final class Ade20k {
    public static final int CLASSES = 150;

    static final int[][] PALETTE = {
            {120, 120, 120}, {180, 120, 120}, {6, 230, 230}, {80, 50, 50}, {4, 200, 3}, {120, 120, 80},
            {140, 140, 140}, {204, 5, 255}, {230, 230, 230}, {4, 250, 7}, {224, 5, 255}, {235, 255, 7},
            {150, 5, 61}, {120, 120, 70}, {8, 255, 51}, {255, 6, 82}, {143, 255, 140}, {204, 255, 4},
            {255, 51, 7}, {204, 70, 3}, {0, 102, 200}, {61, 230, 250}, {255, 6, 51}, {11, 102, 255},
            {255, 7, 71}, {255, 9, 224}, {9, 7, 230}, {220, 220, 220}, {255, 9, 92}, {112, 9, 255},
            {8, 255, 214}, {7, 255, 224}, {255, 184, 6}, {10, 255, 71}, {255, 41, 10}, {7, 255, 255},
            {224, 255, 8}, {102, 8, 255}, {255, 61, 6}, {255, 194, 7}, {255, 122, 8}, {0, 255, 20},
            {255, 8, 41}, {255, 5, 153}, {6, 51, 255}, {235, 12, 255}, {160, 150, 20}, {0, 163, 255},
            {140, 140, 140}, {250, 10, 15}, {20, 255, 0}, {31, 255, 0}, {255, 31, 0}, {255, 224, 0},
            {153, 255, 0}, {0, 0, 255}, {255, 71, 0}, {0, 235, 255}, {0, 173, 255}, {31, 0, 255},
            {11, 200, 200}, {255, 82, 0}, {0, 255, 245}, {0, 61, 255}, {0, 255, 112}, {0, 255, 133},
            {255, 0, 0}, {255, 163, 0}, {255, 102, 0}, {194, 255, 0}, {0, 143, 255}, {51, 255, 0},
            {0, 82, 255}, {0, 255, 41}, {0, 255, 173}, {10, 0, 255}, {173, 255, 0}, {0, 255, 153},
            {255, 92, 0}, {255, 0, 255}, {255, 0, 245}, {255, 0, 102}, {255, 173, 0}, {255, 0, 20},
            {255, 184, 184}, {0, 31, 255}, {0, 255, 61}, {0, 71, 255}, {255, 0, 204}, {0, 255, 194},
            {0, 255, 82}, {0, 10, 255}, {0, 112, 255}, {51, 0, 255}, {0, 194, 255}, {0, 122, 255},
            {0, 255, 163}, {255, 153, 0}, {0, 255, 10}, {255, 112, 0}, {143, 255, 0}, {82, 0, 255},
            {163, 255, 0}, {255, 235, 0}, {8, 184, 170}, {133, 0, 255}, {0, 255, 92}, {184, 0, 255},
            {255, 0, 31}, {0, 184, 255}, {0, 214, 255}, {255, 0, 112}, {92, 255, 0}, {0, 224, 255},
            {112, 224, 255}, {70, 184, 160}, {163, 0, 255}, {153, 0, 255}, {71, 255, 0}, {255, 0, 163},
            {255, 204, 0}, {255, 0, 143}, {0, 255, 235}, {133, 255, 0}, {255, 0, 235}, {245, 0, 255},
            {255, 0, 122}, {255, 245, 0}, {10, 190, 212}, {214, 255, 0}, {0, 204, 255}, {20, 0, 255},
            {255, 255, 0}, {0, 153, 255}, {0, 41, 255}, {0, 255, 204}, {41, 0, 255}, {41, 255, 0},
            {173, 0, 255}, {0, 245, 255}, {71, 0, 255}, {122, 0, 255}, {0, 255, 184}, {0, 92, 255},
            {184, 255, 0}, {0, 133, 255}, {255, 214, 0}, {25, 194, 194}, {102, 255, 0}, {92, 0, 255},
    };

    private static final Map<Integer, Integer> BY_COLOUR = new HashMap<>();

    static {
        for (int c = CLASSES - 1; c >= 0; c--) {
            BY_COLOUR.put(rgb(PALETTE[c][0], PALETTE[c][1], PALETTE[c][2]), c);
        }
    }

    private Ade20k() {}

    private static int rgb(int r, int g, int b) {
        return r << 16 | g << 8 | b;
    }

    /** Class indices (CV_32S) → the palette's colours as a BGR image. */
    public static Mat colourise(Mat classes) {
        int h = classes.rows(), w = classes.cols();
        int[] idx = new int[h * w];
        classes.get(0, 0, idx);
        byte[] px = new byte[h * w * 3];
        for (int i = 0; i < idx.length; i++) {
            int[] c = PALETTE[Math.floorMod(idx[i], CLASSES)];
            px[3 * i] = (byte) c[2];
            px[3 * i + 1] = (byte) c[1];
            px[3 * i + 2] = (byte) c[0];
        }
        Mat out = new Mat(h, w, CvType.CV_8UC3);
        out.put(0, 0, px);
        return out;
    }

    /** A palette image (BGR) → class indices (CV_32S); colours not in the palette become -1. */
    public static Mat classesOf(Mat bgr) {
        int h = bgr.rows(), w = bgr.cols();
        byte[] px = new byte[h * w * 3];
        bgr.get(0, 0, px);
        int[] idx = new int[h * w];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = BY_COLOUR.getOrDefault(rgb(px[3 * i + 2] & 0xff, px[3 * i + 1] & 0xff, px[3 * i] & 0xff), -1);
        }
        Mat out = new Mat(h, w, CvType.CV_32S);
        out.put(0, 0, idx);
        return out;
    }

    /** Mean intersection over union over the classes present in either map (pixels of class -1 ignored); 1 when both are empty. */
    public static double meanIou(Mat truth, Mat predicted) {
        int n = truth.rows() * truth.cols();
        int[] t = new int[n];
        int[] p = new int[n];
        truth.get(0, 0, t);
        predicted.get(0, 0, p);
        long[] inter = new long[CLASSES];
        long[] union = new long[CLASSES];
        for (int i = 0; i < n; i++) {
            if (t[i] < 0) {
                continue;
            }
            if (t[i] == p[i]) {
                inter[t[i]]++;
                union[t[i]]++;
            } else {
                union[t[i]]++;
                if (p[i] >= 0 && p[i] < CLASSES) {
                    union[p[i]]++;
                }
            }
        }
        double sum = 0;
        int present = 0;
        for (int c = 0; c < CLASSES; c++) {
            if (union[c] > 0) {
                sum += (double) inter[c] / union[c];
                present++;
            }
        }
        return present == 0 ? 1.0 : sum / present;
    }
}
