package dev.cnf.model.train;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Batches of one size from a split cleaned into aspect buckets, drawn as {@link DataOrder} draws samples: each epoch reads
 * the shards in that epoch's order into a bounded buffer, and a batch takes a random buffered sample, then random
 * buffered samples of its bucket until it is full or none is left (then it is short, as kohya's last batch of a
 * bucket is). Every sample read is refilled from the read order at once, so the buffer stays full until the epoch's
 * samples run out; each epoch hands out every sample exactly once.
 *
 * <p>The batches are a pure function of (seed, the rows' buckets, the shard sizes, buffer and batch size): {@link #walk}
 * replays them from the first epoch (epochs hand out unequal batch counts), which costs a few operations per sample,
 * no reading.
 */
public final class BucketBatches {
    private final DataOrder order;
    private final byte[] bucketOfRow;
    private final int buckets;
    private final int batchSize;

    /**
     * @param order       the split's shards and the most samples held at once (its buffer size)
     * @param bucketOfRow each split row's bucket, 0 to 127
     * @param batchSize   samples per full batch
     */
    public BucketBatches(DataOrder order, byte[] bucketOfRow, int batchSize) {
        if (bucketOfRow.length != order.size()) {
            throw new IllegalArgumentException(bucketOfRow.length + " rows' buckets for a split of " + order.size());
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch " + batchSize + " must be >= 1");
        }
        int most = 0;
        for (byte b : bucketOfRow) {
            if (b < 0) {
                throw new IllegalArgumentException("bucket " + b + " is negative");
            }
            most = Math.max(most, b);
        }
        this.order = order;
        this.bucketOfRow = bucketOfRow.clone();
        this.buckets = most + 1;
        this.batchSize = batchSize;
    }

    /** Samples per full batch. */
    public int batchSize() {
        return batchSize;
    }

    /** The walk of {@code seed}'s batches, positioned before batch {@code index}. */
    public Walker walk(long seed, long index) {
        Walker w = new Walker(seed);
        while (w.index < index) {
            w.next();
        }
        return w;
    }

    /** Hands out the batches one after another; says what a reader must have read and still holds, as a cursor does. */
    public final class Walker {
        private final long seed;
        private long index;
        private long epoch = -1;
        private DataOrder.Reads reads;
        private int emitted;
        private SplittableRandom random;
        /** The buffered rows of each bucket. */
        private final int[][] held = new int[buckets][];
        private final int[] heldCount = new int[buckets];
        private int heldTotal;

        private Walker(long seed) {
            this.seed = seed;
            for (int b = 0; b < buckets; b++) {
                held[b] = new int[16];
            }
            startEpoch(0);
        }

        private void startEpoch(long e) {
            epoch = e;
            reads = order.reads(seed, e);
            emitted = 0;
            random = new SplittableRandom(DiffusionTrainer.mix(seed ^ 0xB0C4E75L, e));
            Arrays.fill(heldCount, 0);
            heldTotal = 0;
            while (heldTotal < order.bufferSize() && reads.more()) {
                hold(reads.next());
            }
        }

        private void hold(int row) {
            int b = bucketOfRow[row];
            if (heldCount[b] == held[b].length) {
                held[b] = Arrays.copyOf(held[b], 2 * held[b].length);
            }
            held[b][heldCount[b]++] = row;
            heldTotal++;
        }

        /** Takes the bucket's {@code k}-th buffered row and refills the buffer from the read order. */
        private int take(int bucket, int k) {
            int row = held[bucket][k];
            held[bucket][k] = held[bucket][--heldCount[bucket]];
            heldTotal--;
            emitted++;
            if (reads.more()) {
                hold(reads.next());
            }
            return row;
        }

        /** The next batch's split rows, all of one bucket. */
        public int[] next() {
            if (emitted == order.size()) {
                startEpoch(epoch + 1);
            }
            int k = random.nextInt(heldTotal);
            int bucket = 0;
            while (k >= heldCount[bucket]) {
                k -= heldCount[bucket++];
            }
            int[] rows = new int[batchSize];
            int n = 0;
            rows[n++] = take(bucket, k);
            while (n < batchSize && heldCount[bucket] > 0) {
                rows[n++] = take(bucket, random.nextInt(heldCount[bucket]));
            }
            index++;
            return n == batchSize ? rows : Arrays.copyOf(rows, n);
        }

        /** Batches handed out so far. */
        public long index() {
            return index;
        }

        /** The epoch of the batch handed out last (of the first, before any). */
        public long epoch() {
            return epoch;
        }

        /** Samples of this epoch a reader must have read, in read order, by now. */
        public int read() {
            return reads.count();
        }

        /** The rows read but not yet handed out. */
        public int[] buffered() {
            int[] out = new int[heldTotal];
            int n = 0;
            for (int b = 0; b < buckets; b++) {
                System.arraycopy(held[b], 0, out, n, heldCount[b]);
                n += heldCount[b];
            }
            return out;
        }

        /** This epoch's shard order (indices into the split's shards). */
        public int[] epochShardOrder() {
            return reads.shardOrder.clone();
        }
    }
}
