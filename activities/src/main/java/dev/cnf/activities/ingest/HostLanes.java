package dev.cnf.activities.ingest;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Politeness for the whole run, however many workers fetch: discovery splits the references into lanes, each web host
 * in exactly one lane, and the dataset workflow runs at most one shard of a lane at a time. So a host's per-host
 * concurrency, interval and Crawl-delay, which a worker enforces, hold for the run. Hosts are spread over the lanes
 * largest first onto the lightest lane, so many hosts still fetch in parallel; object-storage references have no host
 * to spare and are spread evenly.
 */
final class HostLanes {
    private HostLanes() {}

    /** What a lane is keyed on: host:port for the web, null for object storage and worker files (no politeness needed). */
    static String hostOf(String url) {
        if (url.startsWith("s3://") || url.startsWith("file:")) {
            return null;
        }
        URI u = WireUri.of(url);
        return u == null ? "" : HttpFetcher.hostPort(u);
    }

    /**
     * Splits {@code refs} into at most {@code lanes} lanes and each lane into shards of at most {@code shardSize}.
     *
     * @return the shards, lane by lane (lane 0's shards first); {@code shardsPerLane} holds how many each lane has
     */
    static <R> Split<R> split(List<R> refs, Function<R, String> url, int lanes, int shardSize) {
        Map<String, List<R>> byHost = new LinkedHashMap<>();
        List<R> storage = new ArrayList<>();
        for (R r : refs) {
            String host = hostOf(url.apply(r));
            if (host == null) {
                storage.add(r);
            } else {
                byHost.computeIfAbsent(host, k -> new ArrayList<>()).add(r);
            }
        }
        List<List<R>> groups = new ArrayList<>(byHost.values());
        for (int from = 0; from < storage.size(); from += shardSize) {
            groups.add(storage.subList(from, Math.min(storage.size(), from + shardSize)));
        }
        int n = Math.max(1, Math.min(lanes, groups.size()));
        List<List<R>> laneRefs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            laneRefs.add(new ArrayList<>());
        }
        // largest group first onto the lightest lane; ties keep discovery order (stable sort, lowest lane)
        groups.sort(Comparator.comparingInt((List<R> g) -> -g.size()));
        for (List<R> g : groups) {
            List<R> lightest = laneRefs.get(0);
            for (List<R> lane : laneRefs) {
                if (lane.size() < lightest.size()) {
                    lightest = lane;
                }
            }
            lightest.addAll(g);
        }
        List<List<R>> shards = new ArrayList<>();
        List<Integer> shardsPerLane = new ArrayList<>();
        for (List<R> lane : laneRefs) {
            int before = shards.size();
            for (int from = 0; from < lane.size(); from += shardSize) {
                shards.add(lane.subList(from, Math.min(lane.size(), from + shardSize)));
            }
            shardsPerLane.add(shards.size() - before);
        }
        return new Split<>(shards, shardsPerLane);
    }

    record Split<R>(List<List<R>> shards, List<Integer> shardsPerLane) {}
}
