package dev.cnf.activities.clean;

import dev.cnf.activities.imaging.PerceptualHash;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds an earlier 64-bit hash within a Hamming distance. For distances under 8 it is a multi-index
 * lookup (two hashes within d < 8 bits agree exactly on at least one of their 8 bytes), so millions
 * of images stay cheap; larger distances fall back to a scan.
 */
final class NearDuplicateIndex {
    private final int maxDistance;
    private final List<Long> hashes = new ArrayList<>();
    private final List<String> owners = new ArrayList<>();
    private final Map<Integer, List<Integer>> byByte = new HashMap<>();

    NearDuplicateIndex(int maxDistance) {
        this.maxDistance = maxDistance;
    }

    /** @return the owner of an indexed hash within the distance (the closest, earliest on ties), or null */
    String nearest(long hash) {
        int best = Integer.MAX_VALUE, bestIndex = -1;
        if (maxDistance < 8) {
            for (int b = 0; b < 8; b++) {
                for (int i : byByte.getOrDefault(key(b, hash), List.of())) {
                    int d = PerceptualHash.distance(hash, hashes.get(i));
                    if (d < best || (d == best && i < bestIndex)) {
                        best = d;
                        bestIndex = i;
                    }
                }
            }
        } else {
            for (int i = 0; i < hashes.size(); i++) {
                int d = PerceptualHash.distance(hash, hashes.get(i));
                if (d < best) {
                    best = d;
                    bestIndex = i;
                }
            }
        }
        return bestIndex >= 0 && best <= maxDistance ? owners.get(bestIndex) + " (pHash distance " + best + ")" : null;
    }

    void add(long hash, String owner) {
        int index = hashes.size();
        hashes.add(hash);
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
