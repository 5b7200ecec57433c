package dev.cnf.activities.clean;

import dev.cnf.activities.imaging.PerceptualHash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The partitioned dedupe against the sequential rule in memory, on crawls full of repeats and near repeats. */
class ExternalDedupeTest {
    @TempDir
    Path work;

    record Image(String sha256, String signature, String url) {}

    /**
     * Images drawn so that every case occurs: exact repeats (of kept and of dropped images), near repeats a few bits
     * away, some with another colour layout, chains (C near B near A), images without a hash.
     */
    static List<Image> crawl(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Image> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(10);
            Image base = images.isEmpty() ? null : images.get(r.nextInt(images.size()));
            String url = "https://example.org/img/" + i + ".jpg";
            if (kind == 0 && base != null) {
                images.add(new Image(base.sha256(), base.signature(), url)); // same bytes
            } else if (kind <= 3 && base != null && base.signature() != null) {
                long hash = PerceptualHash.parse(base.signature());
                for (int flips = r.nextInt(12); flips > 0; flips--) {
                    hash ^= 1L << r.nextInt(64);
                }
                String colour = base.signature().length() > 17 ? "-" + base.signature().substring(17) : "";
                if (r.nextInt(4) == 0) {
                    colour = "-" + colour(r);
                }
                images.add(new Image(sha(r), PerceptualHash.hex(hash) + colour, url));
            } else if (kind == 4) {
                images.add(new Image(sha(r), null, url));
            } else {
                String signature = PerceptualHash.hex(r.nextLong()) + (r.nextInt(8) == 0 ? "" : "-" + colour(r));
                images.add(new Image(sha(r), signature, url));
            }
        }
        return images;
    }

    static String sha(SplittableRandom r) {
        byte[] b = new byte[32];
        r.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static String colour(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            sb.append(Character.forDigit(r.nextInt(16), 16));
        }
        return sb.toString();
    }

    /** The rule as CleanActivitiesImpl applied it in memory: a detail string per dropped image, null when kept. */
    static List<String> reference(List<Image> images, int distance) {
        Map<String, String> bySha = new HashMap<>();
        NearDuplicateIndex near = new NearDuplicateIndex(distance);
        List<String> verdicts = new ArrayList<>();
        for (Image s : images) {
            String first = bySha.putIfAbsent(s.sha256(), s.url());
            if (first != null) {
                verdicts.add("DUPLICATE same bytes as " + first);
                continue;
            }
            if (distance >= 0 && s.signature() != null) {
                String similar = near.nearest(s.signature());
                if (similar != null) {
                    verdicts.add("NEAR_DUPLICATE looks like " + similar);
                    continue;
                }
                near.add(s.signature(), s.url());
            }
            verdicts.add(null);
        }
        return verdicts;
    }

    List<String> partitioned(List<Image> images, int distance, int partitionTarget) throws Exception {
        List<String> verdicts = new ArrayList<>();
        try (ExternalDedupe dedupe = new ExternalDedupe(work, images.size(), distance, partitionTarget)) {
            for (Image s : images) {
                dedupe.add(s.sha256(), distance >= 0 ? s.signature() : null, s.url());
            }
            dedupe.decide(p -> {});
            for (int i = 0; i < images.size(); i++) {
                ExternalDedupe.Verdict v = dedupe.verdict();
                verdicts.add(v.kept() ? null : v.reason() == dev.cnf.activities.dataset.DropReason.DUPLICATE
                        ? "DUPLICATE same bytes as " + v.referenceUrl()
                        : "NEAR_DUPLICATE looks like " + v.referenceUrl() + " (pHash distance " + v.distance() + ")");
            }
        }
        return verdicts;
    }

    @Test
    void verdictsEqualTheSequentialRuleForEveryDistance() throws Exception {
        List<Image> images = crawl(6_000, 7);
        for (int distance : new int[] {-1, 0, 1, 4, 7, 9}) {
            List<String> expected = reference(images, distance);
            long exact = expected.stream().filter(v -> v != null && v.startsWith("DUPLICATE")).count();
            long nearDrops = expected.stream().filter(v -> v != null && v.startsWith("NEAR")).count();
            assertTrue(exact > 300, "the crawl repeats images: " + exact);
            if (distance >= 1) {
                assertTrue(nearDrops > 150, "and nearly repeats them at distance " + distance + ": " + nearDrops);
            }
            assertEquals(expected, partitioned(images, distance, 500), "distance " + distance + ", many partitions");
            assertEquals(expected, partitioned(images, distance, 1_000_000), "distance " + distance + ", one partition");
        }
    }

    @Test
    void bandsCoverEveryPairWithinTheDistance() {
        for (int distance = 0; distance <= 32; distance++) {
            int[] widths = ExternalDedupe.bandWidths(distance);
            assertEquals(distance + 1, widths.length);
            assertEquals(64, java.util.Arrays.stream(widths).sum());
        }
    }

    @Test
    void itsWorkingFilesAreGoneAfterwards() throws Exception {
        partitioned(crawl(2_000, 3), 4, 300);
        try (var left = Files.list(work)) {
            assertEquals(0, left.count());
        }
    }
}
