package dev.cnf.datasets;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A Fill50K-like synthetic dataset (the ControlNet tutorial's): one filled circle on a plain
 * background, captioned "aqua circle with light pink background". The circle's outline is what a
 * Canny condition recovers, so a ControlNet that learns to follow it is easy to see.
 */
public final class SyntheticCircles {
    /** A named colour, so captions say what the pixels show. */
    public record NamedColor(String name, Color color) {}

    public static final List<NamedColor> PALETTE = List.of(
            new NamedColor("red", new Color(220, 30, 30)), new NamedColor("aqua", new Color(0, 220, 220)),
            new NamedColor("navy", new Color(20, 30, 120)), new NamedColor("orange", new Color(250, 150, 20)),
            new NamedColor("forest green", new Color(30, 120, 40)), new NamedColor("purple", new Color(130, 40, 160)),
            new NamedColor("light pink", new Color(255, 190, 210)), new NamedColor("yellow", new Color(250, 230, 40)),
            new NamedColor("white", new Color(245, 245, 245)), new NamedColor("black", new Color(15, 15, 15)),
            new NamedColor("light grey", new Color(200, 200, 200)), new NamedColor("sky blue", new Color(120, 190, 250)));

    /** One generated image: PNG bytes and its caption. */
    public record Item(String caption, byte[] png, int cx, int cy, int radius) {}

    private SyntheticCircles() {}

    /** {@code count} images of {@code size}², deterministic for a seed. */
    public static List<Item> generate(int count, int size, long seed) {
        Random r = new Random(seed);
        List<Item> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            NamedColor fg = PALETTE.get(r.nextInt(PALETTE.size()));
            NamedColor bg;
            do {
                bg = PALETTE.get(r.nextInt(PALETTE.size()));
            } while (bg == fg);
            int radius = size / 10 + r.nextInt(size / 4);
            int cx = radius + r.nextInt(size - 2 * radius);
            int cy = radius + r.nextInt(size - 2 * radius);
            out.add(new Item(fg.name() + " circle with " + bg.name() + " background", draw(size, fg.color(), bg.color(), cx, cy, radius), cx, cy, radius));
        }
        return out;
    }

    static byte[] draw(int size, Color fg, Color bg, int cx, int cy, int radius) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(bg);
        g.fillRect(0, 0, size, size);
        g.setColor(fg);
        g.fillOval(cx - radius, cy - radius, 2 * radius, 2 * radius);
        g.dispose();
        return png(img);
    }

    static byte[] png(BufferedImage img) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
