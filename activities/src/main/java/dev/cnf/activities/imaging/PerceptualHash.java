package dev.cnf.activities.imaging;

import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

import java.util.Arrays;

/**
 * 64-bit DCT perceptual hash (pHash): grey, 32x32 area-resized, 2-D DCT, the 8x8 lowest frequencies
 * compared with their median (DC excluded from the median). Re-encoded or resized copies land
 * within a few bits of each other; different pictures differ in ~32.
 */
public final class PerceptualHash {
    private PerceptualHash() {}

    public static long of(Mat bgr) {
        Mat gray = bgr.channels() == 1 ? bgr : OpenCv.toGray(bgr);
        Mat small = new Mat();
        Imgproc.resize(gray, small, new Size(32, 32), 0, 0, Imgproc.INTER_AREA);
        Mat f = new Mat();
        small.convertTo(f, CvType.CV_32F);
        Mat dct = new Mat();
        Core.dct(f, dct);
        float[] all = new float[32 * 32];
        dct.get(0, 0, all);
        double[] low = new double[64];
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                low[y * 8 + x] = all[y * 32 + x];
            }
        }
        double[] ac = Arrays.copyOfRange(low, 1, 64);
        Arrays.sort(ac);
        double median = ac[ac.length / 2];
        long bits = 0;
        for (int i = 0; i < 64; i++) {
            if (low[i] > median) {
                bits |= 1L << i;
            }
        }
        return bits;
    }

    public static String hex(long hash) {
        return String.format("%016x", hash);
    }

    public static long parse(String hex) {
        return Long.parseUnsignedLong(hex, 16);
    }

    public static int distance(long a, long b) {
        return Long.bitCount(a ^ b);
    }
}
