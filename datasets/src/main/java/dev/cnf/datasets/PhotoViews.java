package dev.cnf.datasets;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Many distinct web-like JPEGs from the eight shipped photos (see photos/NOTICE.md): each view is a random crop
 * (55-100% of the side, any position), sometimes mirrored, scaled to a given longer side and encoded at quality 90,
 * so every view has its own bytes and content, as a crawl of one site would. Deterministic for a seed.
 */
public final class PhotoViews {
    /** The shipped photos, by resource name. */
    public static final List<String> PHOTOS = List.of("fruits.jpg", "baboon.jpg", "messi5.jpg", "home.jpg", "orange.jpg",
            "squirrel_cls.jpg", "building.jpg", "HappyFish.jpg");

    private PhotoViews() {}

    public record View(String photo, byte[] jpeg, String caption) {}

    public static List<View> generate(int count, int longSide, long seed) {
        List<BufferedImage> photos = new ArrayList<>();
        for (String name : PHOTOS) {
            photos.add(read(name));
        }
        Random rnd = new Random(seed);
        List<View> views = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int p = i % photos.size();
            BufferedImage src = photos.get(p);
            double scale = 0.55 + 0.45 * rnd.nextDouble();
            int cw = Math.max(16, (int) (src.getWidth() * scale)), ch = Math.max(16, (int) (src.getHeight() * scale));
            int x = rnd.nextInt(src.getWidth() - cw + 1), y = rnd.nextInt(src.getHeight() - ch + 1);
            boolean mirror = rnd.nextBoolean();
            double f = (double) longSide / Math.max(cw, ch);
            int w = Math.max(1, (int) Math.round(cw * f)), h = Math.max(1, (int) Math.round(ch * f));
            BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = out.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            if (mirror) {
                g.drawImage(src, w, 0, 0, h, x, y, x + cw, y + ch, null);
            } else {
                g.drawImage(src, 0, 0, w, h, x, y, x + cw, y + ch, null);
            }
            g.dispose();
            String name = PHOTOS.get(p).replace(".jpg", "").replace('_', ' ');
            views.add(new View(PHOTOS.get(p), jpeg(out, 0.90f), "a photo of " + name + ", view " + i));
        }
        return views;
    }

    private static BufferedImage read(String name) {
        try (InputStream in = PhotoViews.class.getResourceAsStream("photos/" + name)) {
            if (in == null) {
                throw new IllegalStateException("shipped photo missing from the jar: photos/" + name);
            }
            return ImageIO.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] jpeg(BufferedImage img, float quality) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.write(null, new IIOImage(img, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
