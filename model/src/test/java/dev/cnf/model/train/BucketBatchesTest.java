package dev.cnf.model.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Batches of one aspect bucket from the streamed order: complete epochs, one bucket a batch, a bounded buffer, replayable. */
class BucketBatchesTest {
    private static final int[] SHARDS = {500, 500, 137, 0, 250};
    private static final int SPLIT = 1387;

    /** Rows in three buckets, unevenly: most square, some wide, a few tall. */
    private static byte[] buckets() {
        byte[] b = new byte[SPLIT];
        for (int row = 0; row < SPLIT; row++) {
            b[row] = (byte) (row % 10 < 7 ? 0 : row % 10 < 9 ? 1 : 2);
        }
        return b;
    }

    @Test
    void everyBatchIsOneBucketAndEveryEpochHandsOutEverySampleOnce() {
        byte[] bucket = buckets();
        BucketBatches batches = new BucketBatches(new DataOrder(SHARDS, 100), bucket, 8);
        BucketBatches.Walker w = batches.walk(7, 0);
        for (long epoch = 0; epoch < 3; epoch++) {
            Set<Integer> seen = new HashSet<>();
            int shortBatches = 0;
            while (seen.size() < SPLIT) {
                int[] rows = w.next();
                assertEquals(epoch, w.epoch());
                assertTrue(rows.length >= 1 && rows.length <= 8);
                shortBatches += rows.length < 8 ? 1 : 0;
                for (int row : rows) {
                    assertEquals(bucket[rows[0]], bucket[row], "batch of one bucket: " + Arrays.toString(rows));
                    assertTrue(seen.add(row), "row " + row + " twice in epoch " + epoch);
                }
                assertTrue(w.buffered().length <= 100, "the buffer's bound");
                assertTrue(w.read() - (seen.size()) == w.buffered().length, "what is read and not handed out is held");
            }
            assertTrue(shortBatches <= SPLIT / 8, "short batches are the exception: " + shortBatches);
        }
        int[] next = w.next();
        assertEquals(3, w.epoch(), "the next batch opens the next epoch");
        assertTrue(next.length > 0);
    }

    @Test
    void aWalkResumedAtAnyBatchContinuesAsTheUninterruptedOne() {
        BucketBatches batches = new BucketBatches(new DataOrder(SHARDS, 64), buckets(), 4);
        BucketBatches.Walker whole = batches.walk(11, 0);
        List<int[]> expected = new ArrayList<>();
        for (int i = 0; i < 900; i++) { // over two epochs
            expected.add(whole.next());
        }
        for (int at : new int[] {0, 1, 57, 346, 347, 348, 600, 899}) {
            BucketBatches.Walker resumed = batches.walk(11, at);
            assertEquals(at, resumed.index());
            for (int i = at; i < Math.min(900, at + 5); i++) {
                assertArrayEquals(expected.get(i), resumed.next(), "batch " + i + " after resuming at " + at);
            }
        }
        assertFalse(Arrays.equals(expected.get(0), batches.walk(12, 0).next()) && Arrays.equals(expected.get(1), batches.walk(12, 1).next()),
                "another seed, another order");
    }

    @Test
    void aSplitInOneBucketIsBatchedWholeAndInFullBatches() {
        byte[] one = new byte[SPLIT];
        BucketBatches.Walker w = new BucketBatches(new DataOrder(SHARDS, 2000), one, 8).walk(3, 0);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < SPLIT / 8; i++) {
            int[] rows = w.next();
            assertEquals(8, rows.length);
            for (int row : rows) {
                seen.add(row);
            }
        }
        assertEquals(SPLIT % 8, w.next().length, "the epoch's last batch holds what is left");
        assertEquals(SPLIT, seen.size() + SPLIT % 8);
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new BucketBatches(new DataOrder(SHARDS, 10), new byte[5], 8));
        assertThrows(IllegalArgumentException.class, () -> new BucketBatches(new DataOrder(SHARDS, 0), buckets(), 8));
        assertThrows(IllegalArgumentException.class, () -> new BucketBatches(new DataOrder(SHARDS, 10), buckets(), 0));
    }
}
