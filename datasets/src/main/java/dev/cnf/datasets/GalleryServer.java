package dev.cnf.datasets;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A local image gallery on 127.0.0.1 for the demo and tests: an index page and a second page
 * linked from it, {@code <img>} tags with alt text, and a few items that a real crawl meets and
 * must drop with a reason (a 404, HTML served as an image, a corrupt JPEG, a thumbnail too small
 * to train on, and a duplicate under another URL).
 */
public final class GalleryServer implements AutoCloseable {
    /** Bad items and the drop reason each should get. */
    public static final Map<String, String> EXPECTED_DROPS = Map.of(
            "/img/missing.png", "HTTP_4XX",
            "/img/not-an-image.jpg", "NOT_AN_IMAGE",
            "/img/corrupt.jpg", "DECODE_ERROR",
            "/img/thumb.png", "TOO_SMALL",
            "/img/copy-of-0.png", "DUPLICATE");

    private final HttpServer server;
    /** Where {@link #photos} serves its pictures. */
    private static final String PHOTO_PATH = "/photo/";

    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final int goodImages;

    /** The demo's circles, with the bad items. */
    private static Map<String, byte[]> circles(int count, int size, long seed) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        List<SyntheticCircles.Item> items = SyntheticCircles.generate(count, size, seed);
        StringBuilder page1 = new StringBuilder("<!doctype html><html><head><title>cnf demo gallery</title></head><body><h1>Circles</h1>\n");
        StringBuilder page2 = new StringBuilder("<!doctype html><html><head><title>cnf demo gallery, page 2</title></head><body>\n");
        for (int i = 0; i < items.size(); i++) {
            String path = "/img/" + i + ".png";
            files.put(path, items.get(i).png());
            String tag = "<figure><img src=\"" + path + "\" alt=\"" + items.get(i).caption() + "\"></figure>\n";
            (i < items.size() / 2 ? page1 : page2).append(tag);
        }
        files.put("/img/copy-of-0.png", items.get(0).png());
        files.put("/img/not-an-image.jpg", "<html><body>an error page served as an image</body></html>".getBytes(StandardCharsets.UTF_8));
        byte[] corrupt = new byte[600];
        corrupt[0] = (byte) 0xff;
        corrupt[1] = (byte) 0xd8;
        corrupt[2] = (byte) 0xff;
        for (int i = 3; i < corrupt.length; i++) {
            corrupt[i] = (byte) (i * 31);
        }
        files.put("/img/corrupt.jpg", corrupt);
        files.put("/img/thumb.png", SyntheticCircles.png(new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB)));
        page1.append("<img src=\"/img/missing.png\" alt=\"gone\">\n<img src=\"/img/not-an-image.jpg\" alt=\"broken\">\n")
                .append("<a href=\"/page2.html\">next page</a>\n</body></html>\n");
        page2.append("<img src=\"/img/corrupt.jpg\" alt=\"corrupt\">\n<img src=\"/img/thumb.png\" title=\"thumbnail\">\n")
                .append("<img src=\"/img/copy-of-0.png\" alt=\"a copy\">\n<a href=\"/index.html\">back</a>\n</body></html>\n");
        files.put("/index.html", page1.toString().getBytes(StandardCharsets.UTF_8));
        files.put("/page2.html", page2.toString().getBytes(StandardCharsets.UTF_8));
        return files;
    }

    private GalleryServer(Map<String, byte[]> files, int goodImages) throws IOException {
        this.files.putAll(files);
        this.goodImages = goodImages;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "gallery-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** Starts a gallery of {@code count} generated {@code size}² circle images on a free loopback port. */
    public static GalleryServer start(int count, int size, long seed) throws IOException {
        if (count < 2) {
            throw new IllegalArgumentException("the gallery needs at least 2 images, got " + count);
        }
        return new GalleryServer(circles(count, size, seed), count);
    }

    /**
     * Starts a gallery of {@code count} distinct JPEG photos, {@code longSide} px on their longer side, on one index
     * page: views of the shipped photos ({@link PhotoViews}), for benchmarks of ingestion on real pictures. No bad items.
     */
    public static GalleryServer photos(int count, int longSide, long seed) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        StringBuilder page = new StringBuilder("<!doctype html><html><head><title>cnf photo gallery</title></head><body>\n");
        List<PhotoViews.View> views = PhotoViews.generate(count, longSide, seed);
        for (int i = 0; i < views.size(); i++) {
            String path = PHOTO_PATH + i + ".jpg";
            files.put(path, views.get(i).jpeg());
            page.append("<img src=\"").append(path).append("\" alt=\"").append(views.get(i).caption()).append("\">\n");
        }
        files.put("/index.html", page.append("</body></html>\n").toString().getBytes(StandardCharsets.UTF_8));
        return new GalleryServer(files, count);
    }

    private void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        if (path.equals("/")) {
            path = "/index.html";
        }
        byte[] body = files.get(path);
        if (body == null) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        // Deliberately claims image/jpeg for the HTML impostor: ingestion must trust magic bytes, not headers.
        String type = path.endsWith(".html") ? "text/html; charset=utf-8" : path.endsWith(".jpg") ? "image/jpeg" : "image/png";
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port() + "/index.html";
    }

    /** host:port to allow-list for ingestion (loopback is blocked otherwise). */
    public String hostPort() {
        return "127.0.0.1:" + port();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Every picture a {@link #photos} gallery serves, as absolute URLs (none for the circles gallery). */
    public List<String> photoUrls() {
        return files.keySet().stream().filter(p -> p.startsWith(PHOTO_PATH)).map(p -> "http://" + hostPort() + p).toList();
    }

    public int goodImages() {
        return goodImages;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
