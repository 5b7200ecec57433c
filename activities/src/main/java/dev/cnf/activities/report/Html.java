package dev.cnf.activities.report;

import dev.cnf.activities.imaging.ImageSniffer;

import java.util.Base64;

/** Pieces of the self-contained HTML reports: escaped text, images inline as data URIs. */
public final class Html {
    private Html() {}

    public static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** An inline image (PNG samples; a dataset's image may be JPEG or PNG). */
    public static String img(byte[] image) {
        return "<img alt=\"\" src=\"data:" + ImageSniffer.mediaType(image) + ";base64," + Base64.getEncoder().encodeToString(image) + "\">";
    }
}
