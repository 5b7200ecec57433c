package dev.cnf.model.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The streamed data order: a permutation each epoch, local to the shards read, bounded by its buffer, and replayable. */
class DataOrderTest {
    private static final int[] SHARDS = {500, 500, 500, 137, 0, 250};

    @Test
    void aSplitThatFitsTheBufferIsShuffledWholeWithTheTrainersFisherYates() {
        int n = 57;
        for (long epoch = 0; epoch < 3; epoch++) {
            // the permutation the trainer drew for an in-memory split: Fisher-Yates from the last index, seeded by (seed, epoch)
            int[] expected = new int[n];
            for (int i = 0; i < n; i++) {
                expected[i] = i;
            }
            SplittableRandom r = new SplittableRandom(DiffusionTrainer.mix(42 ^ 0x5eed, epoch));
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int tmp = expected[i];
                expected[i] = expected[j];
                expected[j] = tmp;
            }
            assertArrayEquals(expected, epoch(new DataOrder(new int[] {20, 30, 7}, 57), 42, epoch));
            assertArrayEquals(expected, epoch(DataOrder.inMemory(n), 42, epoch));
        }
    }

    @Test
    void everyEpochVisitsEverySampleOnceAndEpochsDiffer() {
        DataOrder order = new DataOrder(SHARDS, 100);
        int[] first = epoch(order, 7, 0);
        int[] second = epoch(order, 7, 1);
        for (int[] e : List.of(first, second)) {
            int[] sorted = e.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < sorted.length; i++) {
                assertEquals(i, sorted[i]);
            }
        }
        assertFalse(Arrays.equals(first, second), "a new epoch, a new order");
        assertFalse(Arrays.equals(first, epoch(order, 8, 0)), "another seed, another order");
        assertArrayEquals(first, epoch(new DataOrder(SHARDS, 100), 7, 0), "a pure function of (seed, epoch)");
    }

    @Test
    void theBufferBoundsWhatIsReadAheadAndSamplesComeFromTheShardsBeingRead() {
        int buffer = 64;
        DataOrder order = new DataOrder(SHARDS, buffer);
        DataOrder.Cursor c = order.cursor(3, 2, 0);
        int[] shardOrder = order.shardOrder(3, 2);
        Set<Integer> read = new HashSet<>();
        List<Integer> readOrder = new ArrayList<>();
        for (int s : shardOrder) {
            for (int m = 0; m < order.shardSize(s); m++) {
                readOrder.add((int) order.shardStart(s) + m);
            }
        }
        while (c.hasNext()) {
            int row = c.next();
            assertTrue(c.read() - c.position() <= buffer, "at most the buffer is read ahead of what was handed out");
            while (read.size() < c.read()) {
                read.add(readOrder.get(read.size()));
            }
            assertTrue(read.contains(row), "row " + row + " handed out before its shard was read that far");
            assertTrue(c.buffered().length <= buffer);
        }
        assertFalse(Arrays.equals(shardOrder, new int[] {0, 1, 2, 3, 4, 5}) && Arrays.equals(shardOrder, order.shardOrder(3, 3)),
                "the shard order is drawn per epoch");
    }

    @Test
    void aCursorPlacedMidEpochContinuesExactlyAsTheUninterruptedOne() {
        DataOrder order = new DataOrder(SHARDS, 50);
        int[] whole = epoch(order, 11, 4);
        for (int at : new int[] {0, 1, 49, 50, 51, 777, whole.length - 1, whole.length}) {
            DataOrder.Cursor c = order.cursor(11, 4, at);
            DataOrder.Cursor reference = order.cursor(11, 4, 0);
            for (int i = 0; i < at; i++) {
                reference.next();
            }
            assertArrayEquals(reference.buffered(), c.buffered(), "the same buffer at " + at);
            assertEquals(reference.read(), c.read());
            for (int i = at; i < whole.length; i++) {
                assertEquals(whole[i], c.next(), "position " + i + " after placing the cursor at " + at);
            }
            assertFalse(c.hasNext());
        }
    }

    @Test
    void badShapesAreRefusedWithTheirNumbers() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DataOrder(new int[] {3}, 0)).getMessage().contains("got 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DataOrder(new int[] {0, 0}, 4)).getMessage().contains("got 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DataOrder(new int[] {2, -1}, 4)).getMessage().contains("-1"));
    }

    private static int[] epoch(DataOrder order, long seed, long epoch) {
        DataOrder.Cursor c = order.cursor(seed, epoch, 0);
        int[] out = new int[order.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = c.next();
        }
        assertFalse(c.hasNext());
        return out;
    }
}
