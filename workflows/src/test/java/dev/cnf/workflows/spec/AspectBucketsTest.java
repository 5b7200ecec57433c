package dev.cnf.workflows.spec;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.workflows.pipeline.PipelineInput;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class AspectBucketsTest {
    /**
     * kohya's buckets for SD at 512 (min 256, max 1024, steps of 64), worked out by hand from make_bucket_resolutions:
     * for each width w, the height is min(1024, floor(512² / w / 64) * 64).
     */
    @Test
    void kohyasBucketsForSdAt512() {
        int[][] oneWay = {{256, 1024}, {320, 768}, {384, 640}, {448, 576}, {512, 512}, {576, 448}, {640, 384}, {704, 320},
                {768, 320}, {832, 256}, {896, 256}, {960, 256}, {1024, 256}};
        List<AspectBuckets.Size> expected = new ArrayList<>();
        for (int[] s : oneWay) {
            expected.add(new AspectBuckets.Size(s[0], s[1]));
            expected.add(new AspectBuckets.Size(s[1], s[0]));
        }
        List<AspectBuckets.Size> sorted = expected.stream().distinct()
                .sorted(java.util.Comparator.comparingInt(AspectBuckets.Size::width).thenComparingInt(AspectBuckets.Size::height)).toList();
        assertEquals(sorted, AspectBuckets.make(512, 64, 256, 1024).sizes());
        assertEquals(sorted, AspectBuckets.of(data(true), sd(512)).sizes(), "the defaults: half and twice the resolution");
        for (AspectBuckets.Size s : sorted) {
            assertTrue((long) s.width() * s.height() <= 512L * 512, s + " holds no more pixels than the square");
        }
    }

    @Test
    void anImageGoesToTheBucketOfTheNearestAspect() {
        AspectBuckets b = AspectBuckets.make(512, 64, 256, 1024);
        assertEquals(new AspectBuckets.Size(512, 512), b.nearest(1000, 1000));
        assertEquals(new AspectBuckets.Size(640, 384), b.nearest(1600, 960), "5:3");
        assertEquals(new AspectBuckets.Size(384, 640), b.nearest(960, 1600), "3:5, the other way round");
        assertEquals(new AspectBuckets.Size(1024, 256), b.nearest(4000, 500), "wider than the widest: the widest");
        assertEquals(new AspectBuckets.Size(64, 64), AspectBuckets.of(data(false), tiny()).nearest(300, 100),
                "without buckets every image is the square");
    }

    @Test
    void theTinyPresetsBucketsAreMultiplesOfEight() {
        List<AspectBuckets.Size> sizes = AspectBuckets.of(data(true), tiny()).sizes();
        assertTrue(sizes.size() > 5, sizes.toString());
        for (AspectBuckets.Size s : sizes) {
            assertEquals(0, s.width() % 8, s.toString());
            assertEquals(0, s.height() % 8, s.toString());
            assertTrue(s.width() >= 32 && s.height() <= 128, s.toString());
        }
        assertTrue(sizes.contains(new AspectBuckets.Size(64, 64)));
        assertTrue(sizes.contains(new AspectBuckets.Size(96, 40)), sizes.toString()); // 4096 / 96 = 42.7 -> 40
    }

    @Test
    void badBucketSettingsAreNamedBeforeAnyWork() throws Exception {
        List<String> p = input("{\"modelConfig\": \"tiny\", \"aspectBuckets\": true, \"minBucketSide\": 36, \"maxBucketSide\": 48,"
                + " \"composeWith\": [\"other\"]}").problems();
        assertTrue(p.stream().anyMatch(s -> s.contains("multiples of 8")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains("<= resolution 64 <= maxBucketSide 48")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("composeWith with aspectBuckets")), p.toString());
        List<String> off = input("{\"minBucketSide\": 32}").problems();
        assertTrue(off.stream().anyMatch(s -> s.contains("aspectBuckets is off")), off.toString());
        assertEquals(List.of(), input("{\"aspectBuckets\": true}").problems());
    }

    private static PipelineInput input(String json) throws Exception {
        return new ObjectMapper().readValue(json, PipelineInput.class);
    }

    private static DataSpec data(boolean buckets) {
        return new DataSpec(null, null, null, null, null, null, null, null, null, null, null, null, null, null, buckets, null, null);
    }

    private static ModelSpec sd(int resolution) {
        return new ModelSpec("sd15", "random", resolution, null, null);
    }

    private static ModelSpec tiny() {
        return new ModelSpec("tiny", null, null, null, null);
    }
}
