package dev.cnf.datasets;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Judges a generated circles image against its caption ("red circle with navy background") without being told
 * where the disc is: the pixels are split in two by 2-means on colour, seeded with the border's median (the
 * generator keeps every disc inside the frame, so the border is background) and the pixel farthest from it. The
 * cluster holding most of the border is the background; the other, if it covers a disc-sized share of the image,
 * is the disc. Each region's median colour is named by the nearest {@link SyntheticCircles#PALETTE} colour, and
 * the image matches when both names are the caption's.
 *
 * <p>It also measures texture a plain-coloured picture must not have: the background's roughness (mean absolute
 * deviation of background pixels away from the disc's edge, from the background median) and the 2x2 grid energy
 * (the checkerboard components of each 2x2 cell, which a space-to-depth codec's errors produce). Both are 0 for
 * the training images' background, up to antialiasing at the disc edge.
 */
public final class CaptionColourCheck {
    /** A disc smaller than this share of the image is no disc (the generator's smallest is about 3%). */
    static final double MIN_DISC_SHARE = 0.015;
    /** Nor is a region larger than this: the generator's largest disc covers about 44% of the image. */
    static final double MAX_DISC_SHARE = 0.6;
    private static final int BORDER = 2;

    /**
     * @param discColour       palette name nearest the disc region's median, or null when no disc was found
     * @param backgroundColour palette name nearest the background region's median
     * @param discShare        the disc region's share of the pixels
     * @param roughness        background roughness, in 0..255 units
     * @param gridEnergy       mean 2x2 checkerboard magnitude over the image, in 0..255 units
     */
    public record Verdict(String caption, String wantDisc, String wantBackground, String discColour,
                          String backgroundColour, double discShare, double roughness, double gridEnergy) {
        public boolean matches() {
            return wantDisc.equals(discColour) && wantBackground.equals(backgroundColour);
        }

        @Override
        public String toString() {
            return String.format("%s: disc %s, background %s (disc %.1f%% of the image, roughness %.1f, grid %.1f)%s",
                    caption, discColour == null ? "not found" : discColour, backgroundColour, 100 * discShare, roughness,
                    gridEnergy, matches() ? "" : "  MISMATCH");
        }
    }

    private CaptionColourCheck() {}

    /** The disc and background colour a caption names; empty when it is not "X circle with Y background". */
    public static Optional<String[]> colours(String caption) {
        String[] parts = caption.split(" circle with ");
        if (parts.length != 2 || !parts[1].endsWith(" background")) {
            return Optional.empty();
        }
        String disc = parts[0];
        String background = parts[1].substring(0, parts[1].length() - " background".length());
        if (named(disc) == null || named(background) == null) {
            return Optional.empty();
        }
        return Optional.of(new String[] {disc, background});
    }

    /**
     * @param rgb an RGB image, interleaved or planar as {@code planar} says, values in {@code [lo, hi]}
     */
    public static Verdict check(String caption, float[] rgb, int size, boolean planar, float lo, float hi) {
        String[] want = colours(caption).orElseThrow(() -> new IllegalArgumentException(
                "caption '" + caption + "' is not 'X circle with Y background' with palette colours " + names()));
        int n = size * size;
        if (rgb.length != 3 * n) {
            throw new IllegalArgumentException("expected " + 3 * n + " values for a " + size + "x" + size + " RGB image, got " + rgb.length);
        }
        double[][] px = new double[n][3];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                float v = planar ? rgb[c * n + i] : rgb[3 * i + c];
                px[i][c] = Math.max(0, Math.min(255, (v - lo) / (hi - lo) * 255.0));
            }
        }
        List<Integer> border = new ArrayList<>();
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                if (x < BORDER || y < BORDER || x >= size - BORDER || y >= size - BORDER) {
                    border.add(y * size + x);
                }
            }
        }
        double[] bgCentre = median(px, border);
        double[] fgCentre = px[0];
        double far = -1;
        for (double[] p : px) {
            double d = distance(p, bgCentre);
            if (d > far) {
                far = d;
                fgCentre = p;
            }
        }
        boolean[] disc = new boolean[n];
        for (int iteration = 0; iteration < 10; iteration++) {
            List<Integer> fg = new ArrayList<>();
            List<Integer> bg = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                disc[i] = distance(px[i], fgCentre) < distance(px[i], bgCentre);
                (disc[i] ? fg : bg).add(i);
            }
            if (fg.isEmpty() || bg.isEmpty()) {
                break;
            }
            fgCentre = mean(px, fg);
            bgCentre = mean(px, bg);
        }
        long borderInDisc = border.stream().filter(i -> disc[i]).count();
        if (borderInDisc * 2 > border.size()) {
            for (int i = 0; i < n; i++) {
                disc[i] = !disc[i];
            }
        }
        List<Integer> fg = new ArrayList<>();
        List<Integer> bg = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            (disc[i] ? fg : bg).add(i);
        }
        double share = fg.size() / (double) n;
        double[] bgMedian = median(px, bg);
        String discColour = share >= MIN_DISC_SHARE && share <= MAX_DISC_SHARE ? nearest(median(px, fg)) : null;
        return new Verdict(caption, want[0], want[1], discColour, nearest(bgMedian), share,
                roughness(px, disc, size, bgMedian), gridEnergy(px, size));
    }

    /** Mean absolute deviation from {@code centre} of background pixels more than 2 px from any disc pixel. */
    static double roughness(double[][] px, boolean[] disc, int size, double[] centre) {
        double sum = 0;
        int count = 0;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                if (!nearDisc(disc, size, x, y, 2)) {
                    double[] p = px[y * size + x];
                    sum += (Math.abs(p[0] - centre[0]) + Math.abs(p[1] - centre[1]) + Math.abs(p[2] - centre[2])) / 3;
                    count++;
                }
            }
        }
        return count == 0 ? 0 : sum / count;
    }

    private static boolean nearDisc(boolean[] disc, int size, int x, int y, int reach) {
        for (int dy = -reach; dy <= reach; dy++) {
            for (int dx = -reach; dx <= reach; dx++) {
                int xx = x + dx;
                int yy = y + dy;
                if (xx >= 0 && yy >= 0 && xx < size && yy < size && disc[yy * size + xx]) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Mean over 2x2 cells and channels of the magnitude of the cell's three checkerboard components. */
    static double gridEnergy(double[][] px, int size) {
        double sum = 0;
        int count = 0;
        for (int y = 0; y + 1 < size; y += 2) {
            for (int x = 0; x + 1 < size; x += 2) {
                for (int c = 0; c < 3; c++) {
                    double a = px[y * size + x][c];
                    double b = px[y * size + x + 1][c];
                    double d = px[(y + 1) * size + x][c];
                    double e = px[(y + 1) * size + x + 1][c];
                    double h = (a - b + d - e) / 4;
                    double v = (a + b - d - e) / 4;
                    double k = (a - b - d + e) / 4;
                    sum += Math.sqrt(h * h + v * v + k * k);
                    count++;
                }
            }
        }
        return sum / count;
    }

    /** The palette colour nearest {@code rgb} (0..255). */
    static String nearest(double[] rgb) {
        String best = null;
        double bestDistance = Double.MAX_VALUE;
        for (SyntheticCircles.NamedColor c : SyntheticCircles.PALETTE) {
            double d = distance(rgb, new double[] {c.color().getRed(), c.color().getGreen(), c.color().getBlue()});
            if (d < bestDistance) {
                bestDistance = d;
                best = c.name();
            }
        }
        return best;
    }

    private static SyntheticCircles.NamedColor named(String name) {
        return SyntheticCircles.PALETTE.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }

    private static List<String> names() {
        return SyntheticCircles.PALETTE.stream().map(SyntheticCircles.NamedColor::name).toList();
    }

    private static double distance(double[] a, double[] b) {
        double dr = a[0] - b[0];
        double dg = a[1] - b[1];
        double db = a[2] - b[2];
        return Math.sqrt(dr * dr + dg * dg + db * db);
    }

    private static double[] mean(double[][] px, List<Integer> idx) {
        double[] m = new double[3];
        for (int i : idx) {
            for (int c = 0; c < 3; c++) {
                m[c] += px[i][c] / idx.size();
            }
        }
        return m;
    }

    private static double[] median(double[][] px, List<Integer> idx) {
        double[] m = new double[3];
        if (idx.isEmpty()) {
            return m;
        }
        double[] values = new double[idx.size()];
        for (int c = 0; c < 3; c++) {
            for (int k = 0; k < idx.size(); k++) {
                values[k] = px[idx.get(k)][c];
            }
            Arrays.sort(values);
            m[c] = values[values.length / 2];
        }
        return m;
    }
}
