package dev.cnf.activities.clean;

import dev.cnf.activities.imaging.PerceptualHash;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The sequential near-duplicate rule in memory, the reference {@link ExternalDedupe} is tested against (it served
 * production before the partitioned version). Finds an earlier image whose 64-bit hash is within a Hamming distance and whose colour layout
 * differs by at most {@link #MAX_COLOUR_STEP} (of 15) in every cell (see {@link PerceptualHash#signature}).
 * For distances under 8 it is a multi-index lookup (two hashes within d < 8 bits agree exactly on at
 * least one of their 8 bytes), so millions of images stay cheap; larger distances fall back to a scan.
 */
final class NearDuplicateIndex {
    static final int MAX_COLOUR_STEP = ExternalDedupe.MAX_COLOUR_STEP;

    private final int maxDistance;
    private final List<Long> hashes = new ArrayList<>();
    private final List<String> signatures = new ArrayList<>();
    private final List<String> owners = new ArrayList<>();
    private final Map<Integer, List<Integer>> byByte = new HashMap<>();

    NearDuplicateIndex(int maxDistance) {
        this.maxDistance = maxDistance;
    }

    /** @return the owner of an indexed signature within the distances (the closest hash, earliest on ties), or null */
    String nearest(String signature) {
        long hash = PerceptualHash.parse(signature);
        int best = Integer.MAX_VALUE, bestIndex = -1;
        if (maxDistance < 8) {
            for (int b = 0; b < 8; b++) {
                for (int i : byByte.getOrDefault(key(b, hash), List.of())) {
                    int d = PerceptualHash.distance(hash, hashes.get(i));
                    if (PerceptualHash.colourDistance(signature, signatures.get(i)) > MAX_COLOUR_STEP) {
                        continue;
                    }
                    if (d < best || (d == best && i < bestIndex)) {
                        best = d;
                        bestIndex = i;
                    }
                }
            }
        } else {
            for (int i = 0; i < hashes.size(); i++) {
                int d = PerceptualHash.distance(hash, hashes.get(i));
                if (d < best && PerceptualHash.colourDistance(signature, signatures.get(i)) <= MAX_COLOUR_STEP) {
                    best = d;
                    bestIndex = i;
                }
            }
        }
        return bestIndex >= 0 && best <= maxDistance ? owners.get(bestIndex) + " (pHash distance " + best + ")" : null;
    }

    void add(String signature, String owner) {
        long hash = PerceptualHash.parse(signature);
        int index = hashes.size();
        hashes.add(hash);
        signatures.add(signature);
        owners.add(owner);
        if (maxDistance < 8) {
            for (int b = 0; b < 8; b++) {
                byByte.computeIfAbsent(key(b, hash), k -> new ArrayList<>()).add(index);
            }
        }
    }

    private static int key(int byteIndex, long hash) {
        return byteIndex << 8 | (int) ((hash >>> (8 * byteIndex)) & 0xff);
    }
}
