package dev.cnf.activities.bench;

import dev.cnf.activities.imaging.OpenCv;
import org.opencv.core.Core;
import org.opencv.core.Mat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Data preparation throughput, the way the clean and condition stages do it: decode JPEG → resize
 * the shorter side to 512 and crop the centre → grey → Canny(100, 200) → PNG, one image per task on
 * one thread per core (OpenCV's own threading off). A benchmark, not a test; bench/run.sh runs it
 * beside bench/peers/dataprep.py. Args: PHOTO_DIR TOTAL_IMAGES THREADS. Prints one JSON line.
 */
public final class DataPrepBench {
    static final int SIZE = 512;

    static long prepare(byte[] jpeg) {
        Mat img = OpenCv.decodeBgr(jpeg);
        Mat square = OpenCv.resizeCenterCrop(img, SIZE);
        Mat gray = OpenCv.toGray(square);
        Mat edges = OpenCv.canny(gray, 100, 200);
        long bytes = OpenCv.encodePng(edges).length;
        img.release();
        square.release();
        gray.release();
        edges.release();
        return bytes;
    }

    public static void main(String[] args) throws Exception {
        OpenCv.load();
        Core.setNumThreads(1);
        Path dir = Path.of(args[0]);
        int total = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        List<byte[]> blobs = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".jpg")).sorted().toList()) {
                blobs.add(Files.readAllBytes(p));
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            run(pool, blobs, threads * 2 + 50); // warm-up: JIT and native libraries
            long start = System.nanoTime();
            long bytes = run(pool, blobs, total);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("{\"impl\": \"cnf-java\", \"opencv\": \"%s\", \"images\": %d, \"threads\": %d, \"seconds\": %.4f, "
                    + "\"images_per_second\": %.2f, \"png_bytes\": %d}%n", Core.VERSION, total, threads, seconds, total / seconds, bytes);
        } finally {
            pool.shutdown();
        }
    }

    static long run(ExecutorService pool, List<byte[]> blobs, int total) throws Exception {
        List<Future<Long>> futures = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            byte[] jpeg = blobs.get(i % blobs.size());
            futures.add(pool.submit(() -> prepare(jpeg)));
        }
        long bytes = 0;
        for (Future<Long> f : futures) {
            bytes += f.get();
        }
        return bytes;
    }
}
