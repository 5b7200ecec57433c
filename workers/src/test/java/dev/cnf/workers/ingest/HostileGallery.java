package dev.cnf.workers.ingest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.Rect;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.zip.CRC32;

/**
 * A web server that misbehaves in every way ingestion meets: each path has the outcome it must end
 * with ({@link #expected()}: a drop reason, or KEPT). Fixtures are made here, deterministically,
 * from the committed photos and seeded patterns.
 */
final class HostileGallery implements AutoCloseable {
    static final String KEPT = "KEPT";

    private final HttpServer server;
    private final Map<String, String> expected = new LinkedHashMap<>();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, Handler> special = new LinkedHashMap<>();
    final Map<String, List<Long>> requestTimes = new ConcurrentHashMap<>();

    interface Handler {
        void handle(HttpExchange ex, int count) throws IOException;
    }

    HostileGallery(int otherLoopbackPort) throws IOException {
        String[] photos = {"baboon", "building", "fruits", "home", "messi5", "orange"};
        for (String p : photos) {
            file("/ok/" + p + ".jpg", photo(p), KEPT);
        }
        file("/dup/exact-copy-of-baboon.jpg", photo("baboon"), "DUPLICATE");
        file("/dup/fruits-reencoded-q60.jpg", jpeg(decode(photo("fruits")), 60), "NEAR_DUPLICATE");
        Mat orange = decode(photo("orange"));
        Mat half = new Mat();
        Imgproc.resize(orange, half, new Size(orange.cols() / 2.0, orange.rows() / 2.0), 0, 0, Imgproc.INTER_AREA);
        file("/dup/orange-resized-half.jpg", jpeg(half, 90), "NEAR_DUPLICATE");

        special("/err/404.png", "HTTP_4XX", (ex, n) -> send(ex, 404, "text/html", "<h1>gone</h1>".getBytes()));
        special("/flaky/500-then-ok.jpg", KEPT, (ex, n) -> {
            if (n == 1) {
                send(ex, 500, "text/plain", "try later".getBytes());
            } else {
                send(ex, 200, "image/jpeg", pattern(1, 160, 120, ".jpg"));
            }
        });
        special("/flaky/429-retry-after-1.jpg", KEPT, (ex, n) -> {
            if (n == 1) {
                ex.getResponseHeaders().add("Retry-After", "1");
                send(ex, 429, "text/plain", "slow down".getBytes());
            } else {
                send(ex, 200, "image/jpeg", pattern(2, 160, 120, ".jpg"));
            }
        });
        special("/err/429-retry-after-an-hour.jpg", "RATE_LIMITED", (ex, n) -> {
            ex.getResponseHeaders().add("Retry-After", "3600");
            send(ex, 429, "text/plain", "come back in an hour".getBytes());
        });
        special("/stall/mid-body.jpg", "TIMEOUT", (ex, n) -> {
            byte[] body = pattern(3, 200, 200, ".png");
            ex.getResponseHeaders().add("Content-Type", "image/png");
            ex.sendResponseHeaders(200, body.length);
            OutputStream out = ex.getResponseBody();
            out.write(body, 0, body.length / 3);
            out.flush();
            sleep(30_000); // the client must give up long before
            ex.close();
        });
        for (int i = 0; i < 8; i++) {
            int next = i + 1;
            special("/redirect/chain-" + i, i == 0 ? "TOO_MANY_REDIRECTS" : null, (ex, n) -> redirect(ex, "/redirect/chain-" + next));
        }
        special("/redirect/to-loopback.jpg", "BLOCKED_ADDRESS", (ex, n) -> redirect(ex, "http://127.0.0.1:" + otherLoopbackPort + "/x.jpg"));
        special("/redirect/to-metadata.jpg", "BLOCKED_ADDRESS", (ex, n) -> redirect(ex, "http://169.254.169.254/latest/meta-data/"));
        special("/redirect/once-to-good.jpg", KEPT, (ex, n) -> redirect(ex, "/odd/redirect-target.jpg"));
        files.put("/odd/redirect-target.jpg", pattern(4, 160, 120, ".jpg"));
        file("/private/secret.jpg", pattern(5, 160, 120, ".jpg"), "ROBOTS_DISALLOWED");
        special("/optout/noai.jpg", "OPTED_OUT", (ex, n) -> {
            ex.getResponseHeaders().add("X-Robots-Tag", "noai, noimageai");
            send(ex, 200, "image/jpeg", pattern(6, 160, 120, ".jpg"));
        });
        special("/optout/other-bot-only.jpg", KEPT, (ex, n) -> {
            ex.getResponseHeaders().add("X-Robots-Tag", "otherbot: noai");
            send(ex, 200, "image/jpeg", pattern(7, 160, 120, ".jpg"));
        });
        special("/fake/html-served-as-jpeg.jpg", "NOT_AN_IMAGE",
                (ex, n) -> send(ex, 200, "image/jpeg", "<!doctype html><html><body>error page</body></html>".getBytes()));
        byte[] full = photo("home");
        file("/bad/truncated.jpg", java.util.Arrays.copyOf(full, full.length / 2), "DECODE_ERROR");
        file("/bad/zero-bytes.png", new byte[0], "NOT_AN_IMAGE");
        file("/bad/one-pixel.png", png(new Mat(1, 1, CvType.CV_8UC3, new Scalar(1, 2, 3))), "TOO_SMALL");
        file("/bad/bomb-60000x60000.png", pngBomb(60000, 60000), "TOO_MANY_PIXELS");
        file("/odd/panorama.jpg", pattern(8, 480, 120, ".jpg"), "BAD_ASPECT");
        file("/odd/animated.gif", animatedGif(), KEPT);
        file("/odd/cmyk.jpg", cmykJpeg(), KEPT);
        file("/odd/16-bit.png", png16(), KEPT);
        file("/odd/alpha.png", pngWithAlpha(), KEPT);
        // white artwork on transparency: the picture lives in the alpha channel; three different ones, all kept
        for (int shape = 0; shape < 3; shape++) {
            file("/odd/white-logo-" + shape + ".png", whiteArtwork(shape), KEPT);
        }
        file("/odd/blank-white.png", png(new Mat(120, 160, CvType.CV_8UC3, new Scalar(255, 255, 255))), "FLAT_IMAGE");
        file("/odd/blank-grey.jpg", jpeg(new Mat(120, 160, CvType.CV_8UC3, new Scalar(128, 128, 128))), "FLAT_IMAGE");
        file("/odd/fully-transparent.png", png(new Mat(120, 160, CvType.CV_8UC4, new Scalar(30, 60, 90, 0))), "FLAT_IMAGE");
        file("/odd/exif-rotated.jpg", exifRotated(pattern(9, 160, 96, ".jpg")), KEPT);
        file("/odd/vector.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\"><circle r=\"40\"/></svg>".getBytes(), "NOT_AN_IMAGE");
        file("/odd/image.webp", pattern(10, 160, 120, ".webp"), KEPT);
        special("/big/over-the-byte-limit.jpg", "TOO_LARGE_BYTES", (ex, n) -> {
            ex.getResponseHeaders().add("Content-Type", "image/jpeg");
            ex.sendResponseHeaders(200, 0); // chunked: no Content-Length to refuse early, the stream itself is cut
            byte[] chunk = new byte[64 * 1024];
            chunk[0] = (byte) 0xff;
            chunk[1] = (byte) 0xd8;
            chunk[2] = (byte) 0xff;
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 64; i++) { // 4 MiB
                    out.write(chunk);
                    chunk[0] = 0;
                }
            } catch (IOException clientHungUp) {
                // expected: the client stops reading at its limit
            }
        });

        StringBuilder index = new StringBuilder("<!doctype html><html><body>\n");
        for (String path : expected.keySet()) {
            index.append("<img src=\"").append(path).append("\" alt=\"").append(path).append("\">\n");
        }
        files.put("/index.html", index.append("</body></html>\n").toString().getBytes(StandardCharsets.UTF_8));
        files.put("/robots.txt", "User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n".getBytes());

        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.setExecutor(Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "hostile-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** Serves an extra file that is not part of the hostile index. */
    void put(String path, String body) {
        files.put(path, body.getBytes(StandardCharsets.UTF_8));
    }

    Map<String, String> expected() {
        return expected;
    }

    String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    String hostPort() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void file(String path, byte[] body, String outcome) {
        files.put(path, body);
        expected.put(path, outcome);
    }

    private void special(String path, String outcome, Handler h) {
        special.put(path, h);
        if (outcome != null) {
            expected.put(path, outcome);
        }
    }

    private void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        List<Long> times = requestTimes.computeIfAbsent(path, k -> new CopyOnWriteArrayList<>());
        times.add(System.nanoTime());
        try (ex) {
            Handler h = special.get(path);
            if (h != null) {
                h.handle(ex, times.size());
                return;
            }
            byte[] body = files.get(path);
            if (body == null) {
                send(ex, 404, "text/plain", "not here".getBytes());
            } else {
                if (path.startsWith("/meta-optout/")) {
                    ex.getResponseHeaders().add("X-Robots-Tag", "cnf: noimageai");
                }
                send(ex, 200, path.endsWith(".html") ? "text/html" : path.endsWith(".txt") ? "text/plain" : "image/whatever", body);
            }
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static void redirect(HttpExchange ex, String location) throws IOException {
        ex.getResponseHeaders().add("Location", location);
        ex.sendResponseHeaders(302, -1);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- fixtures

    static byte[] photo(String name) {
        try (InputStream in = HostileGallery.class.getResourceAsStream("/dev/cnf/datasets/photos/" + name + ".jpg")) {
            return in.readAllBytes();
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("missing committed photo " + name, e);
        }
    }

    static Mat decode(byte[] b) {
        return Imgcodecs.imdecode(new MatOfByte(b), Imgcodecs.IMREAD_COLOR);
    }

    static byte[] jpeg(Mat m, int quality) {
        MatOfByte out = new MatOfByte();
        Imgcodecs.imencode(".jpg", m, out, new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, quality));
        return out.toArray();
    }

    static byte[] png(Mat m) {
        MatOfByte out = new MatOfByte();
        Imgcodecs.imencode(".png", m, out);
        return out.toArray();
    }

    /** A seeded 6x6 grid of random colours: every seed looks different to a perceptual hash. */
    static Mat patternMat(int seed, int w, int h) {
        Random r = new Random(seed);
        Mat m = new Mat(h, w, CvType.CV_8UC3);
        for (int gy = 0; gy < 6; gy++) {
            for (int gx = 0; gx < 6; gx++) {
                int x0 = gx * w / 6, y0 = gy * h / 6, x1 = (gx + 1) * w / 6, y1 = (gy + 1) * h / 6;
                Rect cell = new Rect(x0, y0, x1 - x0, y1 - y0);
                m.submat(cell).setTo(new Scalar(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
            }
        }
        return m;
    }

    static byte[] pattern(int seed, int w, int h, String ext) {
        MatOfByte out = new MatOfByte();
        Imgcodecs.imencode(ext, patternMat(seed, w, h), out);
        return out.toArray();
    }

    private static byte[] png16() {
        Mat eight = patternMat(11, 128, 128);
        Mat sixteen = new Mat();
        eight.convertTo(sixteen, CvType.CV_16UC3, 257);
        return png(sixteen);
    }

    /** Opaque pattern whose top-left 16x16 is fully transparent black: it must come out white. */
    private static byte[] pngWithAlpha() {
        Mat bgr = patternMat(12, 128, 128);
        Mat bgra = new Mat();
        Imgproc.cvtColor(bgr, bgra, Imgproc.COLOR_BGR2BGRA);
        bgra.submat(new Rect(0, 0, 16, 16)).setTo(new Scalar(0, 0, 0, 0));
        return png(bgra);
    }

    /** White everywhere, with the shape only in the alpha channel: a disc, bars or a ring. */
    static byte[] whiteArtwork(int shape) {
        Mat alpha = new Mat(120, 160, CvType.CV_8UC1, new Scalar(0));
        switch (shape) {
            case 0 -> Imgproc.circle(alpha, new org.opencv.core.Point(80, 60), 40, new Scalar(255), -1);
            case 1 -> {
                for (int x = 10; x < 160; x += 30) {
                    Imgproc.rectangle(alpha, new Rect(x, 10, 12, 100), new Scalar(255), -1);
                }
            }
            default -> Imgproc.circle(alpha, new org.opencv.core.Point(80, 60), 45, new Scalar(255), 10);
        }
        Mat white = new Mat(120, 160, CvType.CV_8UC1, new Scalar(255));
        Mat bgra = new Mat();
        org.opencv.core.Core.merge(List.of(white, white, white, alpha), bgra);
        return png(bgra);
    }

    private static byte[] jpeg(Mat bgr) {
        MatOfByte out = new MatOfByte();
        Imgcodecs.imencode(".jpg", bgr, out, new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, 90));
        return out.toArray();
    }

    /** A PNG whose IHDR declares width x height, followed by a token IDAT: only the header is honest. */
    static byte[] pngBomb(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x63, 0, 0, 0, 1, 0, 1});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static byte[] animatedGif() {
        try {
            ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
                writer.setOutput(out);
                writer.prepareWriteSequence(null);
                for (int seed = 13; seed <= 14; seed++) {
                    writer.writeToSequence(new IIOImage(toBufferedImage(patternMat(seed, 96, 96)), null, null), null);
                }
                writer.endWriteSequence();
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A four-channel (CMYK) baseline JPEG written from a raw raster by the JDK's encoder. */
    private static byte[] cmykJpeg() {
        try {
            Mat bgr = patternMat(15, 128, 96);
            byte[] px = new byte[128 * 96 * 3];
            bgr.get(0, 0, px);
            WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 128, 96, 4, null);
            for (int i = 0; i < 128 * 96; i++) {
                int b = px[3 * i] & 0xff, g = px[3 * i + 1] & 0xff, r = px[3 * i + 2] & 0xff;
                int k = 255 - Math.max(r, Math.max(g, b));
                raster.setPixel(i % 128, i / 128, new int[] {255 - r - k < 0 ? 0 : 255 - r - k, Math.max(0, 255 - g - k), Math.max(0, 255 - b - k), k});
            }
            ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
                writer.setOutput(out);
                writer.write(null, new IIOImage(raster, null, null), null);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Inserts an EXIF APP1 segment with Orientation = 6 (rotate 90° clockwise to display) after SOI. */
    static byte[] exifRotated(byte[] jpeg) {
        ByteBuffer tiff = ByteBuffer.allocate(26).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        tiff.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8) // header, IFD0 at 8
                .putShort((short) 1) // one entry
                .putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) 6).putShort((short) 0) // Orientation = 6
                .putInt(0); // no next IFD
        byte[] exif = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
        int len = 2 + exif.length + tiff.capacity();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xff);
        out.write(0xd8);
        out.write(0xff);
        out.write(0xe1);
        out.write(len >> 8);
        out.write(len & 0xff);
        out.writeBytes(exif);
        out.writeBytes(tiff.array());
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    static BufferedImage toBufferedImage(Mat bgr) {
        BufferedImage img = new BufferedImage(bgr.cols(), bgr.rows(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] data = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        bgr.get(0, 0, data);
        return img;
    }

    static List<String> paths(Map<String, String> m, String outcome) {
        List<String> out = new ArrayList<>();
        m.forEach((k, v) -> {
            if (v.equals(outcome)) {
                out.add(k);
            }
        });
        return out;
    }
}
