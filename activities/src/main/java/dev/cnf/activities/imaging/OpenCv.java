package dev.cnf.activities.imaging;

import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.Rect;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * OpenCV Java helpers; loads the native library once per JVM: from the openpnp jar by default, or a
 * system build named by {@code -Dcnf.opencv.library=/usr/lib/jni/libopencv_java460.so} (Debian's
 * libopencv406-jni, whose SIMD-dispatched kernels are faster; its opencv jar must then come first on
 * the class path so classes and library match).
 */
public final class OpenCv {
    public static final String LIBRARY_PROPERTY = "cnf.opencv.library";

    static {
        String system = System.getProperty(LIBRARY_PROPERTY, "");
        if (system.isBlank()) {
            nu.pattern.OpenCV.loadLocally();
        } else {
            System.load(system);
        }
    }

    private OpenCv() {}

    public static void load() {
        // the static initialiser does the work
    }

    /** Decodes any format OpenCV reads into 8-bit BGR; an empty Mat means "not decodable". */
    public static Mat decodeBgr(byte[] bytes) {
        return Imgcodecs.imdecode(new MatOfByte(bytes), Imgcodecs.IMREAD_COLOR);
    }

    public static byte[] encodePng(Mat image) {
        MatOfByte out = new MatOfByte();
        if (!Imgcodecs.imencode(".png", image, out)) {
            throw new IllegalStateException("PNG encoding failed");
        }
        return out.toArray();
    }

    /**
     * An 8-bit BGR image as JPEG at {@code quality} (chroma 4:2:0): with the machine's libjpeg-turbo where it has one
     * (SIMD; about a tenth of a 256-px PNG's encode time), else OpenCV's encoder.
     */
    public static byte[] encodeJpeg(Mat image, int quality) {
        byte[] jpeg = TurboJpeg.encode(image, quality);
        if (jpeg != null) {
            return jpeg;
        }
        MatOfByte out = new MatOfByte();
        if (!Imgcodecs.imencode(".jpg", image, out, new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, quality))) {
            throw new IllegalStateException("JPEG encoding failed");
        }
        return out.toArray();
    }

    /**
     * PNG in the smallest lossless form for what the image holds: a one-channel image of only 0 and 255
     * (edges, lines, scribbles) as a 1-bit PNG, any other one-channel image as 8-bit grey, colour as it is.
     * Decoded with IMREAD_COLOR each gives the BGR image with the grey value in all three channels, so
     * readers need not know which form was written. An edge map encodes about twice as fast as in 8-bit
     * grey and the file is half the size of a 3-channel one.
     */
    public static byte[] encodeCompactPng(Mat image) {
        if (image.channels() != 1 || image.depth() != CvType.CV_8U || !isBinary(image)) {
            return encodePng(image);
        }
        MatOfByte out = new MatOfByte();
        if (!Imgcodecs.imencode(".png", image, out, new MatOfInt(Imgcodecs.IMWRITE_PNG_BILEVEL, 1))) {
            throw new IllegalStateException("PNG encoding failed");
        }
        return out.toArray();
    }

    /** A BGR image whose three channels are equal as one grey channel (a third of the pixels to store), else itself. */
    public static Mat greyIfNeutral(Mat bgr) {
        if (bgr.channels() != 3) {
            return bgr;
        }
        java.util.List<Mat> planes = new java.util.ArrayList<>();
        Core.split(bgr, planes);
        Mat diff = new Mat();
        Core.absdiff(planes.get(0), planes.get(1), diff);
        boolean neutral = Core.countNonZero(diff) == 0;
        if (neutral) {
            Core.absdiff(planes.get(0), planes.get(2), diff);
            neutral = Core.countNonZero(diff) == 0;
        }
        diff.release();
        planes.get(1).release();
        planes.get(2).release();
        if (!neutral) {
            planes.get(0).release();
            return bgr;
        }
        return planes.get(0);
    }

    /** Whether a one-channel 8-bit image holds only 0 and 255 (libpng's 1-bit packing keeps any non-zero as white). */
    static boolean isBinary(Mat grey) {
        Mat between = new Mat();
        Core.inRange(grey, new Scalar(1), new Scalar(254), between);
        boolean binary = Core.countNonZero(between) == 0;
        between.release();
        return binary;
    }

    /**
     * The centre square, its side scaled to {@code size} (area filter when shrinking, cubic when growing). The square is
     * cut from the source first and only it is resized: the same picture as resizing the whole image and then cropping
     * (up to where the half-pixel crop offset rounds), for a third less resize work on a 4:3 photo (profiled).
     */
    public static Mat resizeCenterCrop(Mat src, int size) {
        return resizeCenterCrop(src, size, size);
    }

    /**
     * The largest centred region of the {@code width:height} aspect ratio, scaled to {@code width x height}: an image
     * scaled to cover an aspect bucket and centre-cropped to it (the square above when width equals height).
     */
    public static Mat resizeCenterCrop(Mat src, int width, int height) {
        int cw, ch;
        if ((long) src.cols() * height >= (long) src.rows() * width) { // wider than the bucket: full height
            ch = src.rows();
            cw = Math.min(src.cols(), (int) Math.round((double) src.rows() * width / height));
        } else {
            cw = src.cols();
            ch = Math.min(src.rows(), (int) Math.round((double) src.cols() * height / width));
        }
        Mat region = cw == src.cols() && ch == src.rows() ? src
                : new Mat(src, new Rect((src.cols() - cw) / 2, (src.rows() - ch) / 2, cw, ch)); // a view, no copy
        Mat out = new Mat();
        Imgproc.resize(region, out, new Size(width, height), 0, 0, ch > height ? Imgproc.INTER_AREA : Imgproc.INTER_CUBIC);
        return out;
    }

    /** BGR uint8 HxWx3 → RGB float CHW, mapped from [0,255] to [lo, hi]. */
    public static float[] toChw(Mat bgr, float lo, float hi) {
        int h = bgr.rows(), w = bgr.cols();
        byte[] px = new byte[h * w * 3];
        bgr.get(0, 0, px);
        float[] out = new float[3 * h * w];
        for (int i = 0; i < h * w; i++) {
            for (int c = 0; c < 3; c++) {
                int v = px[i * 3 + (2 - c)] & 0xff; // BGR → RGB
                out[c * h * w + i] = lo + (hi - lo) * v / 255f;
            }
        }
        return out;
    }

    /** RGB float CHW in [lo, hi] → BGR uint8 Mat. */
    public static Mat fromChw(float[] chw, int size, float lo, float hi) {
        return fromChw(chw, size, size, lo, hi);
    }

    /** RGB float CHW ({@code height x width}) in [lo, hi] → BGR uint8 Mat. */
    public static Mat fromChw(float[] chw, int width, int height, float lo, float hi) {
        int n = width * height;
        byte[] px = new byte[n * 3];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                float v = (chw[c * n + i] - lo) / (hi - lo) * 255f;
                px[i * 3 + (2 - c)] = (byte) Math.max(0, Math.min(255, Math.round(v)));
            }
        }
        Mat m = new Mat(height, width, CvType.CV_8UC3);
        m.put(0, 0, px);
        return m;
    }

    public static Mat toGray(Mat bgr) {
        Mat gray = new Mat();
        Imgproc.cvtColor(bgr, gray, Imgproc.COLOR_BGR2GRAY);
        return gray;
    }

    /** Edge map (255 on edges) with OpenCV's Canny, L1 gradient, aperture 3: the reference annotator's call. */
    public static Mat canny(Mat gray, double low, double high) {
        Mat edges = new Mat();
        Imgproc.Canny(gray, edges, low, high);
        return edges;
    }

    /** F1 of two binary edge maps, counting a pixel as matched if the other map has an edge within {@code tolerance} px. */
    public static double edgeF1(Mat predicted, Mat truth, int tolerance) {
        Mat kernel = Imgproc.getStructuringElement(Imgproc.MORPH_RECT, new Size(2 * tolerance + 1, 2 * tolerance + 1));
        Mat truthWide = new Mat();
        Mat predWide = new Mat();
        Imgproc.dilate(truth, truthWide, kernel);
        Imgproc.dilate(predicted, predWide, kernel);
        double predCount = Core.countNonZero(predicted);
        double truthCount = Core.countNonZero(truth);
        if (predCount == 0 && truthCount == 0) {
            return 1.0;
        }
        if (predCount == 0 || truthCount == 0) {
            return 0.0;
        }
        Mat hit = new Mat();
        Core.bitwise_and(predicted, truthWide, hit);
        double precision = Core.countNonZero(hit) / predCount;
        Core.bitwise_and(truth, predWide, hit);
        double recall = Core.countNonZero(hit) / truthCount;
        return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    }
}
