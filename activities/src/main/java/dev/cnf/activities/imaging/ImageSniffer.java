package dev.cnf.activities.imaging;

/** Decides the content type from magic bytes; headers are never trusted. */
public final class ImageSniffer {
    private ImageSniffer() {}

    /** @return "jpeg", "png", "gif", "webp", "bmp", "tiff", or null when the bytes are no known image */
    public static String sniff(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
            return "jpeg";
        }
        if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return "png";
        }
        if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') {
            return "gif";
        }
        if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return "webp";
        }
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return "bmp";
        }
        if (b.length >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0) || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42))) {
            return "tiff";
        }
        return null;
    }

    /** The media type of an image's bytes ("image/jpeg", ...), for data URLs; "application/octet-stream" when unknown. */
    public static String mediaType(byte[] b) {
        String kind = sniff(b);
        return kind == null ? "application/octet-stream" : "image/" + kind;
    }
}
