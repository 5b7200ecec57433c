package dev.cnf.activities.ingest;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/** Each web host in exactly one lane, lanes balanced, every reference in exactly one shard. */
class HostLanesTest {
    @Test
    void aHostIsInOneLaneAndManyHostsSpreadOverAllLanes() {
        List<String> refs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            refs.add("http://big.example/img-" + i + ".jpg");
        }
        for (int h = 0; h < 12; h++) {
            for (int i = 0; i < 5; i++) {
                refs.add("https://host-" + h + ".example/p/" + i + ".png");
            }
        }
        for (int i = 0; i < 9; i++) {
            refs.add("s3://bucket/photos/" + i + ".jpg");
        }
        HostLanes.Split<String> split = HostLanes.split(refs, Function.identity(), 4, 4);
        assertEquals(4, split.shardsPerLane().size());
        assertEquals(split.shards().size(), split.shardsPerLane().stream().mapToInt(Integer::intValue).sum());
        Map<String, Integer> laneOfHost = new HashMap<>();
        List<String> all = new ArrayList<>();
        int shard = 0;
        int[] refsPerLane = new int[4];
        for (int lane = 0; lane < 4; lane++) {
            for (int k = 0; k < split.shardsPerLane().get(lane); k++, shard++) {
                List<String> s = split.shards().get(shard);
                assertTrue(s.size() <= 4 && !s.isEmpty());
                for (String url : s) {
                    all.add(url);
                    refsPerLane[lane]++;
                    String host = HostLanes.hostOf(url);
                    if (host != null) {
                        Integer before = laneOfHost.putIfAbsent(host, lane);
                        assertTrue(before == null || before == lane, host + " is in lanes " + before + " and " + lane);
                    }
                }
            }
        }
        assertEquals(new HashSet<>(refs), new HashSet<>(all));
        assertEquals(refs.size(), all.size(), "every reference in exactly one shard");
        assertEquals("big.example:80", HostLanes.hostOf("http://BIG.example/x"), "the key the fetcher paces by");
        // the big host fills a lane of its own; the others share the remaining three evenly
        Set<Integer> sizes = new HashSet<>();
        for (int n : refsPerLane) {
            sizes.add(n);
        }
        assertTrue(refsPerLane[0] == 40 || sizes.contains(40), java.util.Arrays.toString(refsPerLane));
        int smallest = Integer.MAX_VALUE;
        int largestOther = 0;
        for (int n : refsPerLane) {
            if (n != 40) {
                smallest = Math.min(smallest, n);
                largestOther = Math.max(largestOther, n);
            }
        }
        assertTrue(largestOther - smallest <= 5, "balanced within one host's references: " + java.util.Arrays.toString(refsPerLane));
    }

    @Test
    void fewerHostsThanLanesGiveFewerLanes() {
        HostLanes.Split<String> split = HostLanes.split(List.of("http://a.example/1.jpg", "http://a.example/2.jpg"), Function.identity(), 8, 1);
        assertEquals(List.of(2), split.shardsPerLane());
        assertEquals(List.of(0), HostLanes.split(List.<String>of(), Function.identity(), 8, 1).shardsPerLane());
    }
}
