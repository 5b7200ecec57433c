package dev.cnf.activities.bench;

import dev.cnf.activities.imaging.ImageDecoder;
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
 * Data preparation throughput, the way the clean and condition stages do it: decode JPEG → cut the
 * centre square and resize it to 512 → grey → Canny(100, 200) → PNG as the condition stage stores an
 * edge map (1 bit), one image per task on one thread per core (OpenCV's own threading off); then the
 * same photos on one thread, timed per stage. A benchmark, not a test; bench/run.sh runs it beside
 * bench/peers/dataprep.py. Args: PHOTO_DIR TOTAL_IMAGES THREADS. Prints one JSON line.
 */
public final class DataPrepBench {
    static final int SIZE = 512;
    static final long MAX_PIXELS = 64L << 20;
    static final String[] STAGES = {"decode", "square", "grey", "canny", "png"};

    static long prepare(byte[] jpeg) {
        return stages(jpeg, null);
    }

    /** {@code -Dcnf.bench.opencv-ipp=false}: OpenCV's Intel IPP paths off (a per-thread setting), to see what they bring. */
    static final boolean USE_IPP = Boolean.parseBoolean(System.getProperty("cnf.bench.opencv-ipp", "true"));

    /** The pipeline as the clean and condition stages run it; adds each stage's nanoseconds to {@code nanos} when given. */
    static long stages(byte[] jpeg, long[] nanos) {
        if (!USE_IPP) {
            Core.setUseIPP(false);
        }
        long t0 = System.nanoTime();
        Mat img = ImageDecoder.decode(jpeg, MAX_PIXELS, SIZE).bgr(); // header checks, then decode (reduced for large photos)
        long t1 = System.nanoTime();
        Mat square = OpenCv.resizeCenterCrop(img, SIZE);
        long t2 = System.nanoTime();
        Mat gray = OpenCv.toGray(square);
        long t3 = System.nanoTime();
        Mat edges = OpenCv.canny(gray, 100, 200);
        long t4 = System.nanoTime();
        long bytes = OpenCv.encodeCompactPng(edges).length; // as ConditionRunner stores an edge map
        long t5 = System.nanoTime();
        if (nanos != null) {
            long[] t = {t0, t1, t2, t3, t4, t5};
            for (int i = 0; i < STAGES.length; i++) {
                nanos[i] += t[i + 1] - t[i];
            }
        }
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
            // where one thread's time goes, over the same photos
            int n = Math.min(total, 200);
            long[] nanos = new long[STAGES.length];
            for (int i = 0; i < n; i++) {
                stages(blobs.get(i % blobs.size()), nanos);
            }
            StringBuilder perStage = new StringBuilder();
            for (int i = 0; i < STAGES.length; i++) {
                perStage.append(i == 0 ? "" : ", ").append(String.format("\"%s\": %.3f", STAGES[i], nanos[i] / 1e6 / n));
            }
            System.out.printf("{\"impl\": \"cnf-java\", \"opencv\": \"%s\", \"opencv_cpu\": {\"baseline\": \"%s\", \"dispatched\": \"%s\","
                    + " \"on_this_cpu\": \"%s\", \"intel_ipp\": \"%s\"}, \"jpeg_decoder\": \"%s\", \"images\": %d, \"threads\": %d, "
                    + "\"seconds\": %.4f, \"images_per_second\": %.2f, \"png_bytes\": %d, \"stages_ms\": {%s}}%n",
                    Core.VERSION, buildLine("Baseline:"), buildLine("Dispatched code generation:"), Core.getCPUFeaturesLine(),
                    buildLine("Intel IPP:").replace("unknown", "none") + (USE_IPP ? "" : ", turned off"),
                    ImageDecoder.jpegDecoder(), total, threads, seconds, total / seconds, bytes, perStage);
        } finally {
            pool.shutdown();
        }
    }

    /** A line of the OpenCV build's "CPU/HW features" section: the ISA it was compiled for, and what it dispatches to. */
    static String buildLine(String label) {
        for (String line : Core.getBuildInformation().split("\n")) {
            if (line.strip().startsWith(label)) {
                return line.strip().substring(label.length()).strip();
            }
        }
        return "unknown";
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
