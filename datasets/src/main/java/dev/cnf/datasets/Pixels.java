package dev.cnf.datasets;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** PNG ⇄ RGB float CHW conversions with the JDK alone, for tools that run without OpenCV. */
public final class Pixels {
    private Pixels() {}

    /** Decodes a PNG to RGB CHW floats mapped from [0,255] to [lo, hi]. */
    public static float[] toChw(byte[] png, float lo, float hi) {
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            int w = img.getWidth(), h = img.getHeight();
            float[] out = new float[3 * w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb = img.getRGB(x, y);
                    for (int c = 0; c < 3; c++) {
                        int v = (rgb >> (16 - 8 * c)) & 0xff;
                        out[c * w * h + y * w + x] = lo + (hi - lo) * v / 255f;
                    }
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Tiles square CHW images in [lo, hi] into one PNG, {@code columns} per row. */
    public static byte[] grid(List<float[]> images, int size, int columns, float lo, float hi) {
        int rows = (images.size() + columns - 1) / columns;
        BufferedImage out = new BufferedImage(columns * size, rows * size, BufferedImage.TYPE_INT_RGB);
        int n = size * size;
        for (int i = 0; i < images.size(); i++) {
            float[] chw = images.get(i);
            for (int p = 0; p < n; p++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    int v = Math.max(0, Math.min(255, Math.round((chw[c * n + p] - lo) / (hi - lo) * 255f)));
                    rgb |= v << (16 - 8 * c);
                }
                out.setRGB((i % columns) * size + p % size, (i / columns) * size + p / size, rgb);
            }
        }
        return SyntheticCircles.png(out);
    }
}
