package dev.cnf.activities.imaging;

import dev.cnf.activities.dataset.DropReason;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfDouble;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Turns downloaded bytes into an 8-bit BGR image, or says why not. The header is read first: the
 * pixel limit is enforced before any decoder runs, and truncated JPEGs are refused (libjpeg would
 * pad them with grey). JPEGs decode with the machine's libjpeg-turbo where it has one ({@link TurboJpeg}, SIMD),
 * else with OpenCV. EXIF orientation is applied (as OpenCV's IMREAD_COLOR does for JPEG),
 * CMYK/YCCK, greyscale and 16-bit become RGB8, and transparency is composited over white (over black when what is drawn
 * is light, so white artwork on transparency keeps its picture). GIF
 * (which OpenCV 4.9 cannot read) is decoded by the JDK's ImageIO: the first frame of an animation.
 */
public final class ImageDecoder {
    private ImageDecoder() {}

    /**
     * An image or a drop reason; {@code format} is what the magic bytes say (null for non-images).
     * {@code width} x {@code height} is the picture's size as shown (EXIF orientation applied), which
     * is {@code bgr}'s size unless the decoder reduced it (see {@link #decode(byte[], long, int)}).
     */
    public record Decoded(Mat bgr, int width, int height, String format, DropReason failure, String detail) {
        public boolean ok() {
            return failure == null;
        }
    }

    public static Decoded decode(byte[] bytes, long maxPixels) {
        return decode(bytes, maxPixels, 0);
    }

    /**
     * As {@link #decode(byte[], long)}, but a JPEG whose shorter side is at least twice {@code neededSide}
     * is decoded at 1/2, 1/4 or 1/8 of its size, the largest reduction that keeps the shorter side at
     * least {@code neededSide}. libjpeg scales in the DCT (it computes fewer output pixels per 8x8 block
     * instead of all of them), so a 12-megapixel photo bound for 512 px costs a fraction of the time and
     * memory of a full decode, and shrinking from there gives the same picture within a few grey levels
     * (ImageDecoderTest). Web photos are mostly larger than the training resolution, so this is the common case.
     */
    public static Decoded decode(byte[] bytes, long maxPixels, int neededSide) {
        OpenCv.load();
        ImageHeader header = ImageHeader.read(bytes);
        Decoded refused = refusedByHeader(bytes, header, maxPixels, "");
        if (refused != null) {
            return refused;
        }
        String format = header.format();
        if (header.truncated()) {
            return fail(format, DropReason.DECODE_ERROR, "truncated JPEG: no end-of-image marker after the scan data (" + bytes.length + " bytes)");
        }
        Mat bgr;
        int reduction = 1;
        if (format.equals("gif")) {
            bgr = decodeWithImageIo(bytes);
        } else if (header.mayHaveAlpha()) {
            bgr = normalise(Imgcodecs.imdecode(new MatOfByte(bytes), Imgcodecs.IMREAD_UNCHANGED));
        } else {
            boolean jpeg = format.equals("jpeg");
            reduction = jpeg ? jpegReduction(Math.min(header.width(), header.height()), neededSide) : 1;
            bgr = jpeg ? TurboJpeg.decode(bytes, header.width(), header.height(), reduction) : null;
            if (bgr != null) {
                bgr = ExifOrientation.apply(bgr, ExifOrientation.read(bytes)); // as OpenCV's imdecode turns it
            } else {
                bgr = Imgcodecs.imdecode(new MatOfByte(bytes), switch (reduction) {
                    case 2 -> Imgcodecs.IMREAD_REDUCED_COLOR_2;
                    case 4 -> Imgcodecs.IMREAD_REDUCED_COLOR_4;
                    case 8 -> Imgcodecs.IMREAD_REDUCED_COLOR_8;
                    default -> Imgcodecs.IMREAD_COLOR;
                });
            }
        }
        if (bgr == null || bgr.empty()) {
            return fail(format, DropReason.DECODE_ERROR, "could not decode " + bytes.length + " bytes of " + format);
        }
        if (reduction == 1) {
            return new Decoded(bgr, bgr.cols(), bgr.rows(), format, null, null);
        }
        // the header's size, turned as EXIF orientation turned the pixels
        boolean turned = (bgr.cols() > bgr.rows()) != (header.width() > header.height());
        return new Decoded(bgr, turned ? header.height() : header.width(), turned ? header.width() : header.height(), format, null, null);
    }

    /**
     * An imported condition map, checked as an image is (header, pixel limit, decode) and then for its channels: grey and
     * RGB are kept (grey as three equal channels), RGBA only when its alpha is opaque everywhere; grey+alpha or translucent
     * RGBA is {@link DropReason#CONDITION_CHANNELS}, since compositing would invent control signal. Never reduced, so it
     * can be cropped exactly as its image.
     */
    public static Decoded decodeCondition(byte[] bytes, long maxPixels) {
        OpenCv.load();
        ImageHeader header = ImageHeader.read(bytes);
        Decoded refused = refusedByHeader(bytes, header, maxPixels, "condition: ");
        if (refused != null) {
            return refused;
        }
        String format = header.format();
        Mat m = format.equals("gif") ? decodeWithImageIo(bytes) : Imgcodecs.imdecode(new MatOfByte(bytes), Imgcodecs.IMREAD_UNCHANGED);
        if (m == null || m.empty()) {
            return fail(format, DropReason.DECODE_ERROR, "condition: could not decode " + bytes.length + " bytes of " + format);
        }
        if (format.equals("jpeg")) {
            m = ExifOrientation.apply(m, ExifOrientation.read(bytes)); // IMREAD_UNCHANGED leaves it unturned
        }
        Mat eight = m;
        if (m.depth() == CvType.CV_16U) {
            eight = new Mat();
            m.convertTo(eight, CvType.CV_8U, 1.0 / 257.0);
        } else if (m.depth() != CvType.CV_8U) {
            return fail(format, DropReason.CONDITION_CHANNELS, "condition: " + CvType.typeToString(m.type())
                    + " samples; give 8- or 16-bit grey or RGB");
        }
        Mat bgr = switch (eight.channels()) {
            case 1 -> convert(eight, Imgproc.COLOR_GRAY2BGR);
            case 3 -> eight;
            case 4 -> {
                Mat alpha = new Mat();
                Core.extractChannel(eight, alpha, 3);
                yield Core.minMaxLoc(alpha).minVal < 255 ? null : convert(eight, Imgproc.COLOR_BGRA2BGR);
            }
            default -> null;
        };
        if (bgr == null) {
            return fail(format, DropReason.CONDITION_CHANNELS, "condition: " + (eight.channels() == 4 ? "RGBA with translucent pixels"
                    : eight.channels() + " channels (grey + alpha)") + "; give a grey or RGB map (or RGBA with opaque alpha)");
        }
        return new Decoded(bgr, bgr.cols(), bgr.rows(), format, null, null);
    }

    /**
     * What the header alone refuses, before any decoding: no image format, an unreadable size, more pixels than the limit
     * (decompression bombs); null when it may be decoded. Each detail starts with {@code what}.
     */
    private static Decoded refusedByHeader(byte[] bytes, ImageHeader header, long maxPixels, String what) {
        if (header == null) {
            return fail(null, DropReason.NOT_AN_IMAGE, what + describe(bytes));
        }
        String format = header.format();
        if (!header.hasSize()) {
            return fail(format, DropReason.DECODE_ERROR, what + format + " header unreadable (" + bytes.length + " bytes)");
        }
        if (header.pixels() > maxPixels) {
            return fail(format, DropReason.TOO_MANY_PIXELS, what + format + " header says " + header.width() + "x" + header.height() + " = "
                    + header.pixels() + " pixels, over the limit of " + maxPixels + "; not decoded");
        }
        return null;
    }

    /** What decodes JPEGs in this JVM ("system libturbojpeg" or "OpenCV imdecode"), for benchmark reports. */
    public static String jpegDecoder() {
        return TurboJpeg.decoderName();
    }

    /** The largest of 1, 2, 4, 8 that divides {@code shorterSide} into at least {@code neededSide} (1 when nothing is needed). */
    static int jpegReduction(int shorterSide, int neededSide) {
        int reduction = 1;
        while (neededSide > 0 && reduction < 8 && shorterSide / (reduction * 2) >= neededSide) {
            reduction *= 2;
        }
        return reduction;
    }

    private static Decoded fail(String format, DropReason reason, String detail) {
        return new Decoded(null, 0, 0, format, reason, detail);
    }

    /** What the bytes are when they are no raster image, for the drop's detail. */
    public static String describe(byte[] bytes) {
        if (bytes.length == 0) {
            return "empty body (0 bytes)";
        }
        String head = new String(bytes, 0, Math.min(bytes.length, 1024), StandardCharsets.ISO_8859_1).strip().toLowerCase(Locale.ROOT);
        if (head.contains("<svg")) {
            return "SVG is vector graphics, not a raster image; rasterise it before ingesting";
        }
        if (head.startsWith("<")) {
            return "HTML or XML text, not an image";
        }
        return "magic bytes match no image format (" + bytes.length + " bytes)";
    }

    /** Any depth and channel count OpenCV returns for IMREAD_UNCHANGED → 8-bit BGR, alpha composited ({@link #overBackground}). */
    static Mat normalise(Mat m) {
        if (m.empty()) {
            return m;
        }
        Mat eight = m;
        if (m.depth() == CvType.CV_16U) {
            eight = new Mat();
            m.convertTo(eight, CvType.CV_8U, 1.0 / 257.0);
        } else if (m.depth() != CvType.CV_8U) {
            eight = new Mat();
            Core.normalize(m, eight, 0, 255, Core.NORM_MINMAX, CvType.CV_8U);
        }
        return switch (eight.channels()) {
            case 1 -> convert(eight, Imgproc.COLOR_GRAY2BGR);
            case 2 -> overBackground(convert(eight, -1));
            case 4 -> overBackground(eight);
            default -> eight;
        };
    }

    private static Mat convert(Mat src, int code) {
        Mat out = new Mat();
        if (code >= 0) {
            Imgproc.cvtColor(src, out, code);
            return out;
        }
        // grey + alpha → BGRA
        List<Mat> planes = new ArrayList<>();
        Core.split(src, planes);
        Core.merge(List.of(planes.get(0), planes.get(0), planes.get(0), planes.get(1)), out);
        return out;
    }

    /**
     * What is drawn, on average, at least this light (0-255 luma, weighted by alpha) goes over black instead of white: light
     * artwork on transparency (a common logo and wallpaper style) would otherwise become a blank white image.
     */
    static final double LIGHT_CONTENT_LUMA = 191;

    /**
     * BGRA → BGR as if drawn on a page, out = a·c + (1 − a)·page: a white page, or a black one when what is drawn is light
     * ({@link #LIGHT_CONTENT_LUMA}).
     */
    private static Mat overBackground(Mat bgra) {
        List<Mat> planes = new ArrayList<>();
        Core.split(bgra, planes);
        Mat alpha = new Mat();
        planes.get(3).convertTo(alpha, CvType.CV_32F, 1.0 / 255);
        List<Mat> drawn = new ArrayList<>(); // a·c per colour channel
        for (int c = 0; c < 3; c++) {
            Mat f = new Mat();
            planes.get(c).convertTo(f, CvType.CV_32F);
            Core.multiply(f, alpha, f);
            drawn.add(f);
        }
        double page = drawnLuma(drawn, alpha) >= LIGHT_CONTENT_LUMA ? 0 : 255;
        Mat inverse = new Mat();
        Core.subtract(new Mat(alpha.size(), CvType.CV_32F, new Scalar(1)), alpha, inverse);
        List<Mat> out = new ArrayList<>();
        for (Mat f : drawn) {
            Core.scaleAdd(inverse, page, f, f);
            Mat b = new Mat();
            f.convertTo(b, CvType.CV_8U);
            out.add(b);
        }
        Mat bgr = new Mat();
        Core.merge(out, bgr);
        return bgr;
    }

    /** The mean luma (BT.601) of the drawn pixels (a·c, in BGR order), weighted by their alpha; 0 when nothing is drawn. */
    private static double drawnLuma(List<Mat> drawn, Mat alpha) {
        double weight = Core.sumElems(alpha).val[0];
        if (weight <= 0) {
            return 0;
        }
        double[] coefficient = {0.114, 0.587, 0.299};
        double luma = 0;
        for (int c = 0; c < 3; c++) {
            luma += coefficient[c] * Core.sumElems(drawn.get(c)).val[0];
        }
        return luma / weight;
    }

    /**
     * The largest standard deviation of an 8-bit BGR image's three channels: near 0 for a flat image (one colour, or JPEG
     * noise around it), whose perceptual hash says nothing and which teaches a ControlNet nothing. Per channel, not luma:
     * a disc of another hue but the same luma as its background is a picture.
     */
    public static double colourSpread(Mat bgr) {
        MatOfDouble mean = new MatOfDouble();
        MatOfDouble spread = new MatOfDouble();
        Core.meanStdDev(bgr, mean, spread);
        double max = 0;
        for (double v : spread.toArray()) {
            max = Math.max(max, v);
        }
        return max;
    }

    private static Mat decodeWithImageIo(byte[] bytes) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                BufferedImage frame = reader.read(0);
                BufferedImage bgr = new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
                Graphics2D g = bgr.createGraphics();
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, bgr.getWidth(), bgr.getHeight());
                g.drawImage(frame, 0, 0, null);
                g.dispose();
                Mat m = new Mat(bgr.getHeight(), bgr.getWidth(), CvType.CV_8UC3);
                m.put(0, 0, ((DataBufferByte) bgr.getRaster().getDataBuffer()).getData());
                return m;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
