package dev.cnf.activities.imaging;


/**
 * Format and dimensions read from an image's header bytes alone, so that decompression bombs are
 * refused before any decoder allocates pixels. Also says whether the file may carry alpha (decode
 * path) and whether a JPEG is complete (libjpeg "decodes" truncated files into grey padding).
 *
 * @param format    what {@link ImageSniffer} says the magic bytes are
 * @param width     pixels, or -1 when the header could not be read
 * @param height    pixels, or -1 when the header could not be read
 * @param mayHaveAlpha PNG colour type 4/6 or a tRNS chunk, WebP with an alpha flag, GIF, TIFF with extra samples
 * @param truncated a JPEG without an end-of-image marker after its first scan
 */
public record ImageHeader(String format, int width, int height, boolean mayHaveAlpha, boolean truncated) {

    public long pixels() {
        return (long) width * height;
    }

    public boolean hasSize() {
        return width > 0 && height > 0;
    }

    /** {width, height} from the header alone, or null when unreadable: what the dataset's shard index records. */
    public static int[] size(byte[] b) {
        ImageHeader h = read(b);
        return h == null || !h.hasSize() ? null : new int[] {h.width(), h.height()};
    }

    /** @return the header, or null when the bytes are no known image format */
    public static ImageHeader read(byte[] b) {
        String format = ImageSniffer.sniff(b);
        if (format == null) {
            return null;
        }
        try {
            return switch (format) {
                case "png" -> png(b);
                case "jpeg" -> jpeg(b);
                case "gif" -> new ImageHeader(format, u16le(b, 6), u16le(b, 8), true, false);
                case "webp" -> webp(b);
                case "bmp" -> new ImageHeader(format, Math.abs(i32le(b, 18)), Math.abs(i32le(b, 22)), false, false);
                case "tiff" -> tiff(b);
                default -> new ImageHeader(format, -1, -1, false, false);
            };
        } catch (ArrayIndexOutOfBoundsException e) {
            return new ImageHeader(format, -1, -1, false, true); // header cut short
        }
    }

    private static ImageHeader png(byte[] b) {
        // 8-byte signature, then the IHDR chunk: length, "IHDR", width, height, bit depth, colour type
        int colourType = b[25] & 0xff;
        boolean alpha = colourType == 4 || colourType == 6;
        for (int pos = 8; !alpha && pos + 8 <= b.length; ) {
            int len = i32be(b, pos);
            String type = new String(b, pos + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (type.equals("tRNS")) {
                alpha = true;
            }
            if (type.equals("IDAT") || len < 0) {
                break;
            }
            pos += 12 + len;
        }
        return new ImageHeader("png", i32be(b, 16), i32be(b, 20), alpha, false);
    }

    private static ImageHeader jpeg(byte[] b) {
        int width = -1, height = -1, pos = 2, scanStart = -1;
        while (pos + 4 <= b.length) {
            if ((b[pos] & 0xff) != 0xff) {
                break; // not at a marker: a broken file, the decoder will say so
            }
            int marker = b[pos + 1] & 0xff;
            if (marker == 0xff) {
                pos++; // fill byte
                continue;
            }
            if (marker == 0xd8 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
                pos += 2;
                continue;
            }
            int len = u16be(b, pos + 2);
            boolean startOfFrame = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
            if (startOfFrame && width < 0) {
                height = u16be(b, pos + 5);
                width = u16be(b, pos + 7);
            }
            if (marker == 0xda) {
                scanStart = pos + 2 + len;
                break;
            }
            pos += 2 + len;
        }
        // APPn segments (EXIF thumbnails) were skipped by length, so an EOI after the first scan is the image's own.
        boolean complete = false;
        if (scanStart > 0) {
            for (int i = b.length - 2; i >= scanStart; i--) {
                if ((b[i] & 0xff) == 0xff && (b[i + 1] & 0xff) == 0xd9) {
                    complete = true;
                    break;
                }
            }
        }
        return new ImageHeader("jpeg", width, height, false, !complete);
    }

    private static ImageHeader webp(byte[] b) {
        String chunk = new String(b, 12, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
        return switch (chunk) {
            case "VP8 " -> new ImageHeader("webp", u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff, false, false);
            case "VP8L" -> {
                long bits = (b[21] & 0xffL) | (b[22] & 0xffL) << 8 | (b[23] & 0xffL) << 16 | (b[24] & 0xffL) << 24;
                yield new ImageHeader("webp", (int) (bits & 0x3fff) + 1, (int) ((bits >> 14) & 0x3fff) + 1, ((bits >> 28) & 1) == 1, false);
            }
            case "VP8X" -> new ImageHeader("webp", u24le(b, 24) + 1, u24le(b, 27) + 1, (b[20] & 0x10) != 0, false);
            default -> new ImageHeader("webp", -1, -1, false, false);
        };
    }

    private static ImageHeader tiff(byte[] b) {
        boolean little = b[0] == 'I';
        int ifd = i32(b, 4, little);
        int entries = u16(b, ifd, little);
        int width = -1, height = -1;
        boolean extraSamples = false;
        for (int e = 0; e < entries; e++) {
            int at = ifd + 2 + 12 * e;
            int tag = u16(b, at, little);
            int type = u16(b, at + 2, little);
            int value = type == 3 ? u16(b, at + 8, little) : i32(b, at + 8, little);
            switch (tag) {
                case 256 -> width = value;
                case 257 -> height = value;
                case 338 -> extraSamples = true;
                default -> { }
            }
        }
        return new ImageHeader("tiff", width, height, extraSamples, false);
    }

    private static int u16le(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8;
    }

    private static int u24le(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16;
    }

    private static int u16be(byte[] b, int i) {
        return (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
    }

    private static int i32le(byte[] b, int i) {
        return u16le(b, i) | u16le(b, i + 2) << 16;
    }

    private static int i32be(byte[] b, int i) {
        return u16be(b, i) << 16 | u16be(b, i + 2);
    }

    private static int u16(byte[] b, int i, boolean little) {
        return little ? u16le(b, i) : u16be(b, i);
    }

    private static int i32(byte[] b, int i, boolean little) {
        return little ? i32le(b, i) : i32be(b, i);
    }
}
