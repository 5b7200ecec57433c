package dev.cnf.activities.imaging;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.NativeLongByReference;
import com.sun.jna.ptr.PointerByReference;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JPEG decoding (and encoding) through the machine's libjpeg-turbo (its TurboJPEG API, called with JNA) when the machine has it
 * (Debian and Ubuntu: {@code libturbojpeg0}; the worker images install it). The libjpeg-turbo inside the openpnp
 * OpenCV jar is built without its SIMD code ({@code jsimd_none.c}), so a system build decodes a photo in about
 * half the time (bench/RESULTS.md). Both run libjpeg's defaults (accurate integer IDCT, smooth upsampling), so the pixels are the
 * ones OpenCV gives (ImageDecoderTest compares them). Without the library, or for a JPEG it will not decode to BGR
 * (CMYK) or decodes with a warning, {@link #decode} returns null and the caller decodes with OpenCV as before.
 * {@code -Dcnf.turbojpeg=false} turns it off.
 */
final class TurboJpeg {
    private static final Logger LOG = LoggerFactory.getLogger(TurboJpeg.class);
    private static final int PIXEL_FORMAT_BGR = 1; // TJPF_BGR

    /** The TurboJPEG 2 API calls used (turbojpeg.h); present since libjpeg-turbo 1.3. */
    private interface Lib extends Library {
        Pointer tjInitDecompress();

        int tjDecompress2(Pointer handle, byte[] jpeg, NativeLong size, Pointer dst, int width, int pitch, int height, int pixelFormat, int flags);

        Pointer tjInitCompress();

        int tjCompress2(Pointer handle, Pointer src, int width, int pitch, int height, int pixelFormat, PointerByReference jpeg,
                        NativeLongByReference size, int subsampling, int quality, int flags);

        void tjFree(Pointer buffer);
    }

    private static final Lib LIB = load();

    /**
     * The decompressor of each thread, kept for the thread's life (worker threads are pooled): TurboJPEG handles are not
     * thread-safe, and creating one per image costs time.
     */
    private static final ThreadLocal<Pointer> HANDLE = ThreadLocal.withInitial(() -> LIB.tjInitDecompress());

    /** The compressor of each thread, as {@link #HANDLE}. */
    private static final ThreadLocal<Pointer> COMPRESSOR = ThreadLocal.withInitial(() -> LIB.tjInitCompress());

    private static final int SUBSAMPLING_420 = 2; // TJSAMP_420: what OpenCV's imencode(".jpg") uses by default

    private TurboJpeg() {}

    private static Lib load() {
        if (!Boolean.parseBoolean(System.getProperty("cnf.turbojpeg", "true"))) {
            return null;
        }
        try {
            Lib lib = Native.load("turbojpeg", Lib.class);
            LOG.debug("JPEG decoding with the system's libturbojpeg");
            return lib;
        } catch (UnsatisfiedLinkError e) {
            LOG.debug("no libturbojpeg on this machine ({}); JPEG decoding with OpenCV", e.getMessage());
            return null;
        }
    }

    static boolean available() {
        return LIB != null;
    }

    /** What decodes JPEGs in this JVM, for benchmark reports. */
    static String decoderName() {
        return available() ? "system libturbojpeg" : "OpenCV imdecode";
    }

    /**
     * The JPEG as 8-bit BGR, before any EXIF orientation, reduced by {@code reduction} (1, 2, 4 or 8) in the DCT as
     * OpenCV's IMREAD_REDUCED_* does; {@code width} x {@code height} is the frame's size from its header. Null when
     * this decoder cannot (see the class comment).
     */
    static Mat decode(byte[] jpeg, int width, int height, int reduction) {
        if (LIB == null) {
            return null;
        }
        int w = (width + reduction - 1) / reduction; // libjpeg's scaled size: ceil(size / reduction)
        int h = (height + reduction - 1) / reduction;
        Mat bgr = new Mat(h, w, CvType.CV_8UC3);
        int status = LIB.tjDecompress2(HANDLE.get(), jpeg, new NativeLong(jpeg.length), new Pointer(bgr.dataAddr()), w, w * 3, h,
                PIXEL_FORMAT_BGR, 0);
        if (status != 0) { // an error, or a warning (e.g. corrupt data): OpenCV decides, as it did before this decoder
            bgr.release();
            return null;
        }
        return bgr;
    }

    /**
     * An 8-bit BGR image as a baseline JPEG at {@code quality}, chroma 4:2:0 (the choice of OpenCV's encoder, so the two
     * give the same kind of file); null without the library or on an error (the caller encodes with OpenCV).
     */
    static byte[] encode(Mat bgr, int quality) {
        if (LIB == null || bgr.type() != CvType.CV_8UC3 || !bgr.isContinuous()) {
            return null;
        }
        PointerByReference out = new PointerByReference(); // TurboJPEG allocates the buffer: tjFree below
        NativeLongByReference size = new NativeLongByReference();
        int status = LIB.tjCompress2(COMPRESSOR.get(), new Pointer(bgr.dataAddr()), bgr.cols(), bgr.cols() * 3, bgr.rows(),
                PIXEL_FORMAT_BGR, out, size, SUBSAMPLING_420, quality, 0);
        try {
            return status == 0 ? out.getValue().getByteArray(0, (int) size.getValue().longValue()) : null;
        } finally {
            if (out.getValue() != null) {
                LIB.tjFree(out.getValue());
            }
        }
    }
}
