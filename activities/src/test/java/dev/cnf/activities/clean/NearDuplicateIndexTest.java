package dev.cnf.activities.clean;

import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.imaging.PerceptualHash;
import org.junit.jupiter.api.Test;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

import static org.junit.jupiter.api.Assertions.*;

class NearDuplicateIndexTest {
    static Mat circle(Scalar background, Scalar fill) {
        Mat m = new Mat(96, 96, CvType.CV_8UC3, background);
        Imgproc.circle(m, new Point(40, 52), 25, fill, -1);
        return m;
    }

    @Test
    void sameShapeInOtherColoursIsNotANearDuplicateButARecompressedCopyIs() {
        OpenCv.load();
        Mat red = circle(new Scalar(230, 230, 250), new Scalar(40, 40, 200));
        Mat blue = circle(new Scalar(180, 250, 200), new Scalar(200, 60, 30)); // another Fill50K-style item, same layout
        MatOfByte jpg = new MatOfByte();
        Imgcodecs.imencode(".jpg", red, jpg, new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, 50));
        Mat redCopy = Imgcodecs.imdecode(jpg, Imgcodecs.IMREAD_COLOR);

        NearDuplicateIndex index = new NearDuplicateIndex(4);
        index.add(PerceptualHash.signature(red), "red");
        assertTrue(PerceptualHash.distance(PerceptualHash.of(red), PerceptualHash.of(blue)) <= 4, "grey structure alone cannot tell them apart");
        assertNull(index.nearest(PerceptualHash.signature(blue)), "the colour layout does");
        assertNotNull(index.nearest(PerceptualHash.signature(redCopy)), "a JPEG q50 copy is found");
        assertNull(new NearDuplicateIndex(-1).nearest(PerceptualHash.signature(red)));
    }
}
