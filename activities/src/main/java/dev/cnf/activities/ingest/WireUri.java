package dev.cnf.activities.ingest;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * The one form of an http(s) URL that cnf both checks (robots.txt, address policy, per-host limits) and requests: what
 * is checked is exactly what goes on the wire. RFC 3986's normalisations, in the order that makes them safe:
 * <ol>
 *   <li>non-ASCII characters become UTF-8 percent-escapes (the request line is ASCII);</li>
 *   <li>escapes of unreserved characters are decoded ({@code %2e} is {@code .}, {@code %41} is {@code A}) and every other
 *       escape is written with upper-case hex, but stays an escape: {@code %2f} and {@code %2F} remain {@code %2F}, a
 *       slash inside a segment, never a separator, and {@code %25} remains {@code %25};</li>
 *   <li>runs of slashes collapse to one, since common servers serve {@code //private/x} as {@code /private/x};</li>
 *   <li>only then are dot segments removed, so {@code /img/%2e%2e/private/x} is {@code /private/x} before any check.</li>
 * </ol>
 * The host is lower-cased and the fragment dropped (it is never sent).
 */
final class WireUri {
    private WireUri() {}

    /** The wire form of an absolute http(s) URL, or null when it is not one. */
    static URI of(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            URI u = new URI(toAscii(s.strip()));
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
                return null;
            }
            StringBuilder out = new StringBuilder(scheme).append("://");
            if (u.getRawUserInfo() != null) {
                out.append(u.getRawUserInfo()).append('@');
            }
            out.append(u.getHost().toLowerCase(Locale.ROOT));
            if (u.getPort() >= 0) {
                out.append(':').append(u.getPort());
            }
            out.append(path(u.getRawPath()));
            if (u.getRawQuery() != null) {
                out.append('?').append(escapes(u.getRawQuery()));
            }
            return new URI(out.toString());
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    /** A reference resolved against the page or redirect that named it, in wire form. */
    static URI resolve(URI base, String reference) {
        try {
            return of(base.resolve(new URI(toAscii(reference.strip()))).toString());
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The normalised path: escapes first, then repeated slashes, then dot segments (as nginx does); "/" when empty. */
    static String path(String rawPath) {
        String p = escapes(rawPath == null ? "" : rawPath).replaceAll("/{2,}", "/");
        p = removeDotSegments(p);
        return p.isEmpty() ? "/" : p;
    }

    /**
     * The paths a lenient server may serve for a wire path: the path itself, and the path with encoded slashes and
     * backslashes taken as separators after up to three rounds of decoding {@code %25} (servers that decode twice).
     * A robots.txt rule that refuses any of them refuses the URL; the URL itself is never rewritten.
     */
    static java.util.Set<String> servedAs(String wirePath) {
        java.util.Set<String> paths = new java.util.LinkedHashSet<>();
        paths.add(wirePath);
        String p = wirePath;
        for (int round = 0; round < 3; round++) {
            paths.add(path(p.replaceAll("(?i)%2F|%5C", "/")));
            String decoded = p.replaceAll("(?i)%25", "%");
            if (decoded.equals(p)) {
                break;
            }
            p = escapes(decoded);
        }
        return paths;
    }

    /** Decodes escapes of unreserved characters, upper-cases the others' hex digits; a stray '%' becomes %25. */
    static String escapes(String raw) {
        StringBuilder out = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && isHex(raw, i + 1) && isHex(raw, i + 2)) {
                int b = Integer.parseInt(raw.substring(i + 1, i + 3), 16);
                if (unreserved(b)) {
                    out.append((char) b);
                } else {
                    out.append('%').append(raw.substring(i + 1, i + 3).toUpperCase(Locale.ROOT));
                }
                i += 2;
            } else if (c == '%') {
                out.append("%25");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isHex(String s, int i) {
        return i < s.length() && Character.digit(s.charAt(i), 16) >= 0;
    }

    private static boolean unreserved(int b) {
        return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '.' || b == '_' || b == '~';
    }

    /** Non-ASCII characters as UTF-8 percent-escapes; everything else as it is. */
    static String toAscii(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (cp < 0x80) {
                out.append((char) cp);
            } else {
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    out.append('%').append(String.format("%02X", b & 0xff));
                }
            }
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    /** RFC 3986 5.2.4: "." and ".." segments resolved; ".." never climbs above the root. */
    static String removeDotSegments(String path) {
        Deque<String> segments = new ArrayDeque<>();
        String[] parts = path.split("/", -1);
        for (int i = 0; i < parts.length; i++) {
            String s = parts[i];
            boolean last = i == parts.length - 1;
            if (s.equals(".")) {
                if (last) {
                    segments.addLast("");
                }
            } else if (s.equals("..")) {
                if (segments.size() > 1) {
                    segments.removeLast();
                }
                if (last) {
                    segments.addLast("");
                }
            } else {
                segments.addLast(s);
            }
        }
        String joined = String.join("/", segments);
        return path.startsWith("/") && !joined.startsWith("/") ? "/" + joined : joined;
    }
}
