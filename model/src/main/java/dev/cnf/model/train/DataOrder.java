package dev.cnf.model.train;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The order in which training visits its samples, as {@code webdataset} shuffles a stream: each epoch reads the shards in
 * an order drawn for that epoch, and a bounded buffer of samples read so far hands out a random one of them at a time.
 * A split no larger than the buffer is therefore shuffled whole (a Fisher-Yates permutation of the split).
 *
 * <p>The order is a pure function of (seed, epoch, position): {@link #cursor} replays it to any position from the shard
 * sizes alone, so a reader resumed mid-epoch holds exactly the samples the uninterrupted one held there. Samples are
 * named by their row in the split (shard after shard, in the split's own order).
 */
public final class DataOrder {
    private final int[] shardSizes;
    private final long[] shardStarts;
    private final int total;
    private final int bufferSize;

    /**
     * @param shardSizes the samples of each shard, in the split's order (shards of no samples are allowed and skipped)
     * @param bufferSize the most samples held at once for shuffling
     */
    public DataOrder(int[] shardSizes, int bufferSize) {
        if (bufferSize < 1) {
            throw new IllegalArgumentException("the shuffle buffer needs at least one sample, got " + bufferSize);
        }
        this.shardSizes = shardSizes.clone();
        this.shardStarts = new long[shardSizes.length];
        long sum = 0;
        for (int i = 0; i < shardSizes.length; i++) {
            if (shardSizes[i] < 0) {
                throw new IllegalArgumentException("shard " + i + " has " + shardSizes[i] + " samples");
            }
            shardStarts[i] = sum;
            sum += shardSizes[i];
        }
        if (sum < 1 || sum > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a data order needs 1 to " + Integer.MAX_VALUE + " samples, got " + sum);
        }
        this.total = (int) sum;
        this.bufferSize = bufferSize;
    }

    /** One shard holding the whole split: the split shuffled whole when it fits the buffer. */
    public static DataOrder inMemory(int size) {
        return new DataOrder(new int[] {size}, size);
    }

    public int size() {
        return total;
    }

    /** The most samples held at once for shuffling. */
    public int bufferSize() {
        return bufferSize;
    }

    public int shards() {
        return shardSizes.length;
    }

    public int shardSize(int shard) {
        return shardSizes[shard];
    }

    /** The split row of a shard's first sample. */
    public long shardStart(int shard) {
        return shardStarts[shard];
    }

    /** The epoch's shard order, drawn from (seed, epoch). */
    public int[] shardOrder(long seed, long epoch) {
        int[] order = identity(shardSizes.length);
        shuffle(order, new SplittableRandom(DiffusionTrainer.mix(seed ^ 0x54A2D5L, epoch)));
        return order;
    }

    /** The epoch's rows in read order, as a reader of its shards meets them (both orders below draw from these). */
    Reads reads(long seed, long epoch) {
        return new Reads(shardOrder(seed, epoch));
    }

    /** An epoch's split rows in read order: its shards in the epoch's shard order, one after the other. */
    final class Reads {
        final int[] shardOrder;
        private int shardIndex;
        private int inShard;
        private int count;

        private Reads(int[] shardOrder) {
            this.shardOrder = shardOrder;
        }

        /** Whether the epoch has rows left to read. */
        boolean more() {
            return count < total;
        }

        int next() {
            while (inShard == shardSizes[shardOrder[shardIndex]]) {
                shardIndex++;
                inShard = 0;
            }
            count++;
            return (int) (shardStarts[shardOrder[shardIndex]] + inShard++);
        }

        /** Rows read so far. */
        int count() {
            return count;
        }
    }

    /** The epoch's order from its position {@code position} on (0 is the epoch's first sample). */
    public Cursor cursor(long seed, long epoch, int position) {
        if (position < 0 || position > total) {
            throw new IllegalArgumentException("position " + position + " outside an epoch of " + total + " samples");
        }
        Cursor c = new Cursor(seed, epoch);
        for (int i = 0; i < position; i++) {
            c.next();
        }
        return c;
    }

    /**
     * Walks one epoch: {@link #next} is the split row of the next sample, and {@link #read()} how many samples, in read
     * order (the epoch's shards one after the other), a reader must have read by then. The samples read but not yet
     * handed out, at most the buffer's size, are {@link #buffered()}.
     */
    public final class Cursor {
        private final Reads reads;
        private final int[] buffer;
        private int held;
        private int emitted;
        private final SplittableRandom random;
        /** The split fits the buffer: a whole-split permutation, drawn once. */
        private final int[] permutation;

        private Cursor(long seed, long epoch) {
            this.reads = reads(seed, epoch);
            SplittableRandom bufferRandom = new SplittableRandom(DiffusionTrainer.mix(seed ^ 0x5eed, epoch));
            if (total <= bufferSize) {
                permutation = identity(total);
                shuffle(permutation, bufferRandom);
                random = null;
                buffer = null;
            } else {
                permutation = null;
                random = bufferRandom;
                buffer = new int[bufferSize];
                while (held < bufferSize) {
                    buffer[held++] = reads.next();
                }
            }
        }

        public boolean hasNext() {
            return emitted < total;
        }

        /** The split row of the next sample. */
        public int next() {
            if (!hasNext()) {
                throw new IllegalStateException("the epoch's " + total + " samples are all handed out");
            }
            if (permutation != null) {
                return permutation[emitted++];
            }
            int k = random.nextInt(held);
            int row = buffer[k];
            if (reads.more()) {
                buffer[k] = reads.next();
            } else {
                buffer[k] = buffer[--held];
            }
            emitted++;
            return row;
        }

        /** Samples handed out so far in this epoch. */
        public int position() {
            return emitted;
        }

        /** Samples a reader must have read, in read order, before the next one can be handed out. */
        public int read() {
            return permutation != null ? total : reads.count(); // a split in the buffer is read whole first
        }

        /** The rows read but not yet handed out. */
        public int[] buffered() {
            if (permutation != null) {
                return Arrays.copyOfRange(permutation, emitted, total);
            }
            return Arrays.copyOf(buffer, held);
        }

        /** The epoch's shard order (indices into the split's shards). */
        public int[] epochShardOrder() {
            return reads.shardOrder.clone();
        }
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static void shuffle(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
    }
}
