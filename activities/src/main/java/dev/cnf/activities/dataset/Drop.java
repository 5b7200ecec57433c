package dev.cnf.activities.dataset;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A dropped item: where it came from, why, and a human-readable detail. */
public record Drop(String url, DropReason reason, String detail) {
    /** Drops per reason code, sorted by code: what reports and stage results show. */
    public static Map<String, Integer> countByReason(List<Drop> drops) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Drop d : drops) {
            counts.merge(d.reason().name(), 1, Integer::sum);
        }
        return counts;
    }
}
