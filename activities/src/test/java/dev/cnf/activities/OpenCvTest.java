package dev.cnf.activities;

import dev.cnf.activities.conditions.CannyCondition;
import dev.cnf.activities.conditions.ConditionExtractor;
import dev.cnf.activities.imaging.OpenCv;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgproc.Imgproc;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class OpenCvTest {
    @BeforeAll
    static void loadNative() {
        OpenCv.load();
    }

    static Mat disc() {
        Mat m = new Mat(64, 64, CvType.CV_8UC3, new Scalar(200, 200, 200));
        Imgproc.circle(m, new Point(32, 32), 15, new Scalar(30, 30, 220), -1);
        return m;
    }

    @Test
    void cannyConditionEqualsOpenCvCannyWithTheRecordedThresholds() {
        Mat img = disc();
        ConditionExtractor.Extracted ex = new CannyCondition().extract(img, new SplittableRandom(3));
        int low = (Integer) ex.params().get("low");
        int high = (Integer) ex.params().get("high");
        assertTrue(low >= 50 && low < 150 && high >= low + 50 && high < low + 150);
        Mat expected = new Mat();
        Imgproc.Canny(OpenCv.toGray(img), expected, low, high);
        assertEquals(1, ex.image().channels(), "an edge map has one channel");
        Mat diff = new Mat();
        Core.absdiff(ex.image(), expected, diff);
        assertEquals(0, Core.countNonZero(diff));
        assertTrue(Core.countNonZero(expected) > 50, "a disc has an outline");
        ConditionExtractor.Extracted again = new CannyCondition().extract(img, new SplittableRandom(3));
        assertEquals(ex.params(), again.params(), "deterministic for a seed");
    }

    /** PNG header: bit depth and colour type of the IHDR chunk (bytes 24 and 25). */
    static int[] pngDepthAndColourType(byte[] png) {
        return new int[] {png[24], png[25]};
    }

    static void assertReadsBackAsBgr(Mat grey, byte[] png) {
        Mat expected = new Mat();
        Imgproc.cvtColor(grey, expected, Imgproc.COLOR_GRAY2BGR);
        Mat back = OpenCv.decodeBgr(png);
        assertEquals(3, back.channels());
        Mat diff = new Mat();
        Core.absdiff(back, expected, diff);
        assertEquals(0, Core.countNonZero(diff.reshape(1)), "lossless: reads back as the grey map in all three channels");
    }

    @Test
    void compactPngIsOneBitForBinaryMapsGreyForOtherGreyMapsAndLossless() {
        Mat edges = OpenCv.canny(OpenCv.toGray(disc()), 100, 200);
        byte[] bilevel = OpenCv.encodeCompactPng(edges);
        assertArrayEquals(new int[] {1, 0}, pngDepthAndColourType(bilevel), "1-bit grey");
        assertReadsBackAsBgr(edges, bilevel);

        Mat almost = edges.clone();
        almost.put(0, 0, 254); // one value that is neither 0 nor 255: 1-bit would lose it
        byte[] grey = OpenCv.encodeCompactPng(almost);
        assertArrayEquals(new int[] {8, 0}, pngDepthAndColourType(grey), "8-bit grey");
        assertReadsBackAsBgr(almost, grey);

        assertArrayEquals(new int[] {8, 2}, pngDepthAndColourType(OpenCv.encodeCompactPng(disc())), "colour stays 8-bit RGB");
        assertTrue(bilevel.length < OpenCv.encodePng(OpenCv.decodeBgr(bilevel)).length, "smaller than the 3-channel PNG");
    }

    @Test
    void edgeF1IsOneForIdenticalMapsAndLowForUnrelated() {
        Mat edges = OpenCv.canny(OpenCv.toGray(disc()), 100, 200);
        assertEquals(1.0, OpenCv.edgeF1(edges, edges, 1), 1e-9);
        Mat other = new Mat(64, 64, CvType.CV_8UC1, new Scalar(0));
        Imgproc.line(other, new Point(0, 2), new Point(63, 2), new Scalar(255));
        assertTrue(OpenCv.edgeF1(other, edges, 1) < 0.05);
    }

    @Test
    void resizeCenterCropAndChwRoundTrip() {
        Mat wide = new Mat(100, 200, CvType.CV_8UC3, new Scalar(10, 20, 30));
        Mat sq = OpenCv.resizeCenterCrop(wide, 64);
        assertEquals(64, sq.rows());
        assertEquals(64, sq.cols());
        float[] chw = OpenCv.toChw(sq, -1f, 1f);
        assertEquals(-1f + 2f * 30 / 255f, chw[0], 1e-6, "channel 0 is red (BGR → RGB)");
        Mat back = OpenCv.fromChw(chw, 64, -1f, 1f);
        Mat diff = new Mat();
        Core.absdiff(back, sq, diff);
        assertEquals(0, Core.countNonZero(diff.reshape(1)));
        assertTrue(OpenCv.decodeBgr(new byte[] {1, 2, 3}).empty());
    }

    @Test
    void theCentreSquareIsTheSamePictureAsResizingFirstAndCroppingAfter() {
        // a wide image with a gradient: cutting the square first must not shift or stretch it
        Mat wide = new Mat(300, 500, CvType.CV_8UC3);
        byte[] px = new byte[300 * 500 * 3];
        for (int y = 0; y < 300; y++) {
            for (int x = 0; x < 500; x++) {
                px[(y * 500 + x) * 3] = (byte) (x / 2);
                px[(y * 500 + x) * 3 + 1] = (byte) (y / 2);
                px[(y * 500 + x) * 3 + 2] = (byte) ((x + y) / 4);
            }
        }
        wide.put(0, 0, px);
        for (int size : new int[] {128, 512}) { // shrinking (area) and growing (cubic)
            Mat ours = OpenCv.resizeCenterCrop(wide, size);
            double scale = (double) size / 300;
            Mat whole = new Mat();
            org.opencv.imgproc.Imgproc.resize(wide, whole, new org.opencv.core.Size(Math.round(500 * scale), size), 0, 0,
                    scale < 1 ? org.opencv.imgproc.Imgproc.INTER_AREA : org.opencv.imgproc.Imgproc.INTER_CUBIC);
            Mat cropped = new Mat(whole, new org.opencv.core.Rect((whole.cols() - size) / 2, 0, size, size));
            Mat diff = new Mat();
            Core.absdiff(ours, cropped, diff);
            Core.MinMaxLocResult worst = Core.minMaxLoc(diff.reshape(1));
            assertTrue(worst.maxVal <= 2, size + ": at most 2 grey levels apart on a gradient, was " + worst.maxVal);
        }
    }
}
