package dev.cnf.activities.imaging;

import org.opencv.core.Core;
import org.opencv.core.Mat;

import java.nio.charset.StandardCharsets;

/**
 * The EXIF orientation of a JPEG (tag 0x0112 of the first APP1 "Exif" segment's IFD0), and turning pixels upright
 * as OpenCV's imdecode does (loadsave.cpp, ExifTransform), for decoders that leave it to the caller.
 */
final class ExifOrientation {
    private ExifOrientation() {}

    /** 1 (upright) to 8; 1 when the JPEG has no readable orientation. */
    static int read(byte[] jpeg) {
        int pos = 2; // after SOI
        while (pos + 4 <= jpeg.length && (jpeg[pos] & 0xFF) == 0xFF) {
            int marker = jpeg[pos + 1] & 0xFF;
            if (marker == 0xDA || marker == 0xD9) { // start of scan, end of image: no more headers
                return 1;
            }
            int length = u16(jpeg, pos + 2, false);
            if (length < 2) {
                return 1;
            }
            int body = pos + 4;
            if (marker == 0xE1 && length >= 8 && body + 6 <= jpeg.length && new String(jpeg, body, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) {
                return fromTiff(jpeg, body + 6, Math.min(jpeg.length, pos + 2 + length));
            }
            pos += 2 + length;
        }
        return 1;
    }

    private static int fromTiff(byte[] b, int tiff, int end) {
        if (tiff + 8 > end) {
            return 1;
        }
        boolean little;
        if (b[tiff] == 'I' && b[tiff + 1] == 'I') {
            little = true;
        } else if (b[tiff] == 'M' && b[tiff + 1] == 'M') {
            little = false;
        } else {
            return 1;
        }
        long ifd = tiff + (u32(b, tiff + 4, little) & 0xFFFFFFFFL);
        if (ifd + 2 > end) {
            return 1;
        }
        int entries = u16(b, (int) ifd, little);
        for (int i = 0; i < entries; i++) {
            int e = (int) ifd + 2 + 12 * i;
            if (e + 12 > end) {
                return 1;
            }
            if (u16(b, e, little) == 0x0112) {
                int value = u16(b, e + 8, little); // SHORT, count 1: the value sits in the entry
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    private static int u16(byte[] b, int i, boolean little) {
        return little ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 : (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
    }

    private static int u32(byte[] b, int i, boolean little) {
        return little ? u16(b, i, true) | u16(b, i + 2, true) << 16 : u16(b, i, false) << 16 | u16(b, i + 2, false);
    }

    /** Turns {@code img} upright for {@code orientation}: the same flips and transposes as OpenCV, in place when it can. */
    static Mat apply(Mat img, int orientation) {
        Mat out = img;
        switch (orientation) {
            case 2 -> Core.flip(img, img, 1);
            case 3 -> Core.flip(img, img, -1);
            case 4 -> Core.flip(img, img, 0);
            case 5, 6, 7, 8 -> {
                out = new Mat();
                Core.transpose(img, out);
                img.release();
                if (orientation == 6) {
                    Core.flip(out, out, 1);
                } else if (orientation == 7) {
                    Core.flip(out, out, -1);
                } else if (orientation == 8) {
                    Core.flip(out, out, 0);
                }
            }
            default -> { }
        }
        return out;
    }
}
