package dev.cnf.activities.imaging;

import dev.cnf.model.Prerequisites;
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
import java.util.ArrayList;
import java.util.List;

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
        return withOrientation(jpeg, 6, true);
    }

    /** The JPEG with an EXIF APP1 segment right after SOI holding one IFD0 entry: Orientation = {@code orientation}. */
    static byte[] withOrientation(byte[] jpeg, int orientation, boolean littleEndian) {
        ByteBuffer app1 = ByteBuffer.allocate(36).order(ByteOrder.BIG_ENDIAN);
        app1.putShort((short) 0xFFE1).putShort((short) 34).put("Exif\0\0".getBytes());
        app1.order(littleEndian ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        app1.put((byte) (littleEndian ? 'I' : 'M')).put((byte) (littleEndian ? 'I' : 'M')).putShort((short) 42).putInt(8); // first IFD at 8
        app1.putShort((short) 1); // one entry
        app1.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0); // Orientation, SHORT, 1
        app1.putInt(0); // no next IFD
        byte[] out = new byte[jpeg.length + 36];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(app1.array(), 0, out, 2, 36);
        System.arraycopy(jpeg, 2, out, 38, jpeg.length - 2);
        return out;
    }

    static byte[] photo(String name) throws IOException {
        try (InputStream in = ImageDecoderTest.class.getResourceAsStream("/dev/cnf/datasets/photos/" + name)) {
            return in.readAllBytes();
        }
    }

    static double maxDiff(Mat a, Mat b) {
        assertEquals(a.size(), b.size());
        Mat diff = new Mat();
        Core.absdiff(a, b, diff);
        return Core.minMaxLoc(diff.reshape(1)).maxVal;
    }

    /** The system's libjpeg-turbo and OpenCV's give the same pixels, at full size and reduced in the DCT. */
    @Test
    void theSystemJpegDecoderGivesOpenCvsPixels() throws IOException {
        Prerequisites.require(TurboJpeg.available(), "no libturbojpeg on this machine (apt-get install libturbojpeg0): OpenCV decodes");
        List<byte[]> jpegs = new ArrayList<>();
        for (String name : List.of("baboon.jpg", "building.jpg", "fruits.jpg", "HappyFish.jpg", "messi5.jpg")) {
            jpegs.add(photo(name));
        }
        jpegs.add(largeJpeg());
        for (byte[] jpeg : jpegs) {
            ImageHeader header = ImageHeader.read(jpeg);
            for (int reduction : new int[] {1, 2, 4, 8}) {
                Mat ours = TurboJpeg.decode(jpeg, header.width(), header.height(), reduction);
                Mat opencv = Imgcodecs.imdecode(new MatOfByte(jpeg), Imgcodecs.IMREAD_IGNORE_ORIENTATION | switch (reduction) {
                    case 2 -> Imgcodecs.IMREAD_REDUCED_COLOR_2;
                    case 4 -> Imgcodecs.IMREAD_REDUCED_COLOR_4;
                    case 8 -> Imgcodecs.IMREAD_REDUCED_COLOR_8;
                    default -> Imgcodecs.IMREAD_COLOR;
                });
                assertNotNull(ours);
                assertEquals(0, maxDiff(ours, opencv), header.width() + "x" + header.height() + " at 1/" + reduction);
            }
        }
    }

    /**
     * The clean stage's JPEGs: the system's libjpeg-turbo and OpenCV's encoder (the fallback without it) both keep a
     * square above 30 dB PSNR at quality 95 (the baboon's fur, the hardest photo, about 32), and give files of about the same size (the same quantisation and
     * chroma 4:2:0; their rounding differs in places, so the pixels are close, not equal).
     */
    @Test
    void theSystemJpegEncoderKeepsThePictureAsOpenCvsDoes() throws IOException {
        Prerequisites.require(TurboJpeg.available(), "no libturbojpeg on this machine (apt-get install libturbojpeg0): OpenCV encodes");
        for (String name : List.of("baboon.jpg", "building.jpg", "fruits.jpg", "HappyFish.jpg", "messi5.jpg")) {
            Mat square = OpenCv.resizeCenterCrop(OpenCv.decodeBgr(photo(name)), 256);
            byte[] ours = TurboJpeg.encode(square, 95);
            assertNotNull(ours);
            MatOfByte opencv = new MatOfByte();
            assertTrue(Imgcodecs.imencode(".jpg", square, opencv, new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, 95)));
            double psnrOurs = Core.PSNR(OpenCv.decodeBgr(ours), square);
            double psnrOpenCv = Core.PSNR(OpenCv.decodeBgr(opencv.toArray()), square);
            assertTrue(psnrOurs > 30 && psnrOpenCv > 30, name + ": quality 95 keeps the picture (PSNR " + psnrOurs + " and " + psnrOpenCv + " dB)");
            assertEquals(psnrOpenCv, psnrOurs, 1.0, name + ": as closely as OpenCV's encoder");
            assertEquals(1.0, (double) ours.length / opencv.total(), 0.1, name + ": in a file of the same size");
            assertArrayEquals(ours, OpenCv.encodeJpeg(square, 95), name + ": encodeJpeg uses the system encoder");
        }
    }

    /** Every EXIF orientation, in both TIFF byte orders, turns the picture as OpenCV's imdecode does. */
    @Test
    void everyExifOrientationTurnsThePictureAsOpenCvDoes() throws IOException {
        byte[] plain = photo("fruits.jpg"); // 512x480: a transpose shows
        for (boolean little : new boolean[] {true, false}) {
            for (int orientation = 1; orientation <= 8; orientation++) {
                byte[] jpeg = withOrientation(plain, orientation, little);
                assertEquals(orientation, ExifOrientation.read(jpeg));
                Mat ours = ImageDecoder.decode(jpeg, MAX_PIXELS).bgr();
                Mat opencv = Imgcodecs.imdecode(new MatOfByte(jpeg), Imgcodecs.IMREAD_COLOR);
                assertEquals(0, maxDiff(ours, opencv), "orientation " + orientation + (little ? " (II)" : " (MM)"));
            }
        }
        assertEquals(1, ExifOrientation.read(plain), "no EXIF: upright");
        byte[] bogus = withOrientation(plain, 9, true);
        assertEquals(1, ExifOrientation.read(bogus), "an orientation out of 1-8 counts as none, as in OpenCV");
    }

    /** A CMYK JPEG (which libjpeg-turbo will not turn into BGR) decodes as OpenCV decodes it. */
    @Test
    void aCmykJpegDecodesAsOpenCvDecodesIt() throws IOException {
        java.awt.image.WritableRaster raster = java.awt.image.Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, 64, 48, 4, null);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                raster.setPixel(x, y, new int[] {x * 4, y * 5, (x + y) * 2, x < 32 ? 0 : 60});
            }
        }
        javax.imageio.ImageWriter writer = javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (javax.imageio.stream.MemoryCacheImageOutputStream out = new javax.imageio.stream.MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new javax.imageio.IIOImage(raster, null, null), null);
        }
        byte[] cmyk = bytes.toByteArray();
        ImageDecoder.Decoded d = ImageDecoder.decode(cmyk, MAX_PIXELS);
        assertTrue(d.ok(), d.detail());
        Mat opencv = Imgcodecs.imdecode(new MatOfByte(cmyk), Imgcodecs.IMREAD_COLOR);
        assertEquals(0, maxDiff(d.bgr(), opencv));
    }

    /** Web bytes are hostile: mangled EXIF segments give an orientation in 1-8 (1 when unreadable), never an exception. */
    @Test
    void mangledExifNeverThrows() throws IOException {
        byte[] jpeg = withOrientation(photo("fruits.jpg"), 6, false);
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int trial = 0; trial < 5000; trial++) {
            byte[] mangled = java.util.Arrays.copyOf(jpeg, 3 + random.nextInt(60)); // SOI, then part of the APP1 segment
            for (int k = 0; k < 3; k++) {
                mangled[2 + random.nextInt(mangled.length - 2)] = (byte) random.nextInt(256);
            }
            int orientation = ExifOrientation.read(mangled);
            assertTrue(orientation >= 1 && orientation <= 8, "trial " + trial + ": " + orientation);
        }
    }

    /** A JPEG the system decoder only decodes with a warning (corrupt scan data) goes to OpenCV, as before it existed. */
    @Test
    void aJpegWithCorruptDataIsLeftToOpenCv() throws IOException {
        Prerequisites.require(TurboJpeg.available(), "no libturbojpeg on this machine (apt-get install libturbojpeg0)");
        byte[] jpeg = photo("building.jpg");
        for (int i = jpeg.length / 2; i < jpeg.length / 2 + 64; i++) {
            jpeg[i] = (byte) (jpeg[i] ^ 0x5A); // mangled entropy-coded data; markers and the end stay intact
        }
        ImageHeader header = ImageHeader.read(jpeg);
        assertNull(TurboJpeg.decode(jpeg, header.width(), header.height(), 1), "libjpeg warns: not ours to decide");
        ImageDecoder.Decoded d = ImageDecoder.decode(jpeg, MAX_PIXELS);
        Mat opencv = Imgcodecs.imdecode(new MatOfByte(jpeg), Imgcodecs.IMREAD_COLOR);
        assertTrue(d.ok());
        assertEquals(0, maxDiff(d.bgr(), opencv));
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
