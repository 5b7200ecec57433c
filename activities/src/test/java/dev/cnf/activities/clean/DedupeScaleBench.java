package dev.cnf.activities.clean;

import dev.cnf.activities.imaging.PerceptualHash;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Bounded-memory dedupe at crawl scale: N synthetic images (hashes and URLs only, no pixels; 10% exact repeats, 15%
 * near repeats a few bits away) through {@link ExternalDedupe}, run under a fixed heap (bench/run.sh gives -Xmx1g).
 * Prints one JSON line: records, seconds, peak heap (sum of the heap pools' peaks: an upper bound), drops.
 * Usage: DedupeScaleBench RECORDS [DISTANCE]
 */
public final class DedupeScaleBench {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        int distance = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        SplittableRandom r = new SplittableRandom(42);
        long[] recentHashes = new long[4096]; // repeats draw from recent images: a crawl's copies sit near each other
        String[] recentShas = new String[4096];
        long start = System.nanoTime();
        Path work = Files.createTempDirectory("cnf-dedupe-bench-");
        long exact = 0, near = 0;
        try (ExternalDedupe dedupe = new ExternalDedupe(work, n, distance)) {
            byte[] sha = new byte[32];
            for (int i = 0; i < n; i++) {
                int kind = r.nextInt(100);
                int from = r.nextInt(Math.max(1, Math.min(i, recentHashes.length)));
                String shaHex;
                long hash;
                if (i > 0 && kind < 10) {
                    shaHex = recentShas[from];
                    hash = recentHashes[from];
                } else {
                    r.nextBytes(sha);
                    shaHex = HexFormat.of().formatHex(sha);
                    hash = i > 0 && kind < 25 ? recentHashes[from] ^ (1L << r.nextInt(64)) ^ (1L << r.nextInt(64)) : r.nextLong();
                }
                recentShas[i % recentShas.length] = shaHex;
                recentHashes[i % recentHashes.length] = hash;
                dedupe.add(shaHex, PerceptualHash.hex(hash) + "-7a7a7a7a7a7a", "https://images.example.org/a/" + i + ".jpg");
            }
            dedupe.decide(p -> {});
            for (int i = 0; i < n; i++) {
                ExternalDedupe.Verdict v = dedupe.verdict();
                if (!v.kept()) {
                    if (v.reason() == dev.cnf.activities.dataset.DropReason.DUPLICATE) {
                        exact++;
                    } else {
                        near++;
                    }
                }
            }
        } finally {
            Files.deleteIfExists(work);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf("{\"records\": %d, \"distance\": %d, \"seconds\": %.1f, \"peak_heap_mib\": %.0f, \"max_heap_mib\": %.0f,"
                        + " \"exact_duplicates\": %d, \"near_duplicates\": %d}%n", n, distance, seconds, peak / 1048576.0,
                Runtime.getRuntime().maxMemory() / 1048576.0, exact, near);
    }
}
