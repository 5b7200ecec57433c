package dev.cnf.activities.imaging;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opencv.core.Core;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.*;

/** Reduced JPEG decoding: the size it picks, the picture it gives, the size it reports. */
class ImageDecoderTest {
    static final long MAX_PIXELS = 64L << 20;

    @BeforeAll
    static void loadNative() {
        OpenCv.load();
    }

    /** A large photo: OpenCV's building.jpg (868x600) enlarged 4x to 3472x2400, as JPEG quality 95. */
    static byte[] largeJpeg() throws IOException {
        byte[] small;
        try (InputStream in = ImageDecoderTest.class.getResourceAsStream("/dev/cnf/datasets/photos/building.jpg")) {
            small = in.readAllBytes();
        }
        Mat big = new Mat();
        Imgproc.resize(OpenCv.decodeBgr(small), big, new Size(3472, 2400), 0, 0, Imgproc.INTER_CUBIC);
        MatOfByte out = new MatOfByte();
        assertTrue(Imgcodecs.imencode(".jpg", big, out, new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, 95)));
        return out.toArray();
    }

    /** The JPEG with an EXIF APP1 segment saying "orientation 6" (shown turned 90° clockwise) right after SOI. */
    static byte[] withOrientation6(byte[] jpeg) {
        ByteBuffer app1 = ByteBuffer.allocate(36).order(ByteOrder.BIG_ENDIAN);
        app1.putShort((short) 0xFFE1).putShort((short) 34).put("Exif\0\0".getBytes());
        app1.order(ByteOrder.LITTLE_ENDIAN);
        app1.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8); // TIFF header, first IFD at 8
        app1.putShort((short) 1); // one entry
        app1.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) 6).putShort((short) 0); // Orientation, SHORT, 1, 6
        app1.putInt(0); // no next IFD
        byte[] out = new byte[jpeg.length + 36];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(app1.array(), 0, out, 2, 36);
        System.arraycopy(jpeg, 2, out, 38, jpeg.length - 2);
        return out;
    }

    @Test
    void reductionIsTheLargestThatKeepsTheShorterSideAtTheNeededSize() {
        assertEquals(1, ImageDecoder.jpegReduction(3000, 0), "nothing needed: full size");
        assertEquals(1, ImageDecoder.jpegReduction(1023, 512));
        assertEquals(2, ImageDecoder.jpegReduction(1024, 512));
        assertEquals(4, ImageDecoder.jpegReduction(2400, 512));
        assertEquals(8, ImageDecoder.jpegReduction(4096, 512));
        assertEquals(8, ImageDecoder.jpegReduction(40_000, 512), "libjpeg scales down to 1/8 at most");
    }

    @Test
    void aLargeJpegDecodesReducedToTheSamePictureAndReportsItsFullSize() throws IOException {
        byte[] jpeg = largeJpeg();
        ImageDecoder.Decoded full = ImageDecoder.decode(jpeg, MAX_PIXELS);
        ImageDecoder.Decoded reduced = ImageDecoder.decode(jpeg, MAX_PIXELS, 512);
        assertEquals(3472, full.bgr().cols());
        assertEquals(868, reduced.bgr().cols(), "1/4: 2400 / 4 = 600 >= 512");
        assertEquals(600, reduced.bgr().rows());
        assertEquals(3472, reduced.width(), "the photo's own size is recorded");
        assertEquals(2400, reduced.height());

        Mat a = OpenCv.resizeCenterCrop(full.bgr(), 512);
        Mat b = OpenCv.resizeCenterCrop(reduced.bgr(), 512);
        Mat diff = new Mat();
        Core.absdiff(a, b, diff);
        double mean = Core.mean(diff.reshape(1)).val[0];
        assertTrue(mean < 1.5, "same picture at 512 px: mean difference " + mean + " grey levels");
        Mat far = new Mat();
        Imgproc.threshold(diff.reshape(1), far, 8, 255, Imgproc.THRESH_BINARY);
        double farShare = Core.countNonZero(far) / (double) diff.total() / 3;
        assertTrue(farShare < 0.01, "under 1% of values differ by more than 8 levels: " + farShare);
    }

    @Test
    void anOrientedJpegReportsItsSizeAsShown() throws IOException {
        byte[] jpeg = withOrientation6(largeJpeg());
        ImageDecoder.Decoded full = ImageDecoder.decode(jpeg, MAX_PIXELS);
        assertEquals(2400, full.bgr().cols(), "OpenCV applied the EXIF orientation");
        ImageDecoder.Decoded reduced = ImageDecoder.decode(jpeg, MAX_PIXELS, 512);
        assertEquals(600, reduced.bgr().cols());
        assertEquals(868, reduced.bgr().rows());
        assertEquals(full.width(), reduced.width());
        assertEquals(full.height(), reduced.height());
    }

    @Test
    void smallJpegsAndOtherFormatsDecodeAtFullSize() throws IOException {
        byte[] jpeg;
        try (InputStream in = ImageDecoderTest.class.getResourceAsStream("/dev/cnf/datasets/photos/building.jpg")) {
            jpeg = in.readAllBytes();
        }
        ImageDecoder.Decoded d = ImageDecoder.decode(jpeg, MAX_PIXELS, 512);
        assertEquals(868, d.bgr().cols(), "600 px is under twice 512");
        assertEquals(868, d.width());
        byte[] png = OpenCv.encodePng(OpenCv.decodeBgr(largeJpeg()));
        ImageDecoder.Decoded p = ImageDecoder.decode(png, MAX_PIXELS, 512);
        assertEquals(3472, p.bgr().cols(), "only JPEG decoders scale in the DCT");
    }
}
