package dev.cnf.model.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Where training takes its samples from: in memory ({@link TrainingSet}) or streamed from shards. Either way the sample at
 * a position is fixed by the data order's seed, so a resumed run sees what an uninterrupted one saw.
 */
public interface TrainingData {
    /** Samples per epoch. */
    int size();

    /**
     * The sample at {@code position} (counted over all epochs, {@link #size()} to an epoch) of the data order drawn from
     * {@code orderSeed}. Positions are asked for in increasing order; another seed or an earlier position starts over.
     */
    TrainingPair at(long orderSeed, long position);

    /**
     * Batch {@code index} of the order drawn from {@code orderSeed}: samples of one size. Unless the data comes in several
     * sizes, the {@code batchSize} samples at positions {@code index * batchSize} on; data in aspect buckets may hand out
     * fewer (a bucket's last samples of an epoch). Batches are asked for in increasing order, as positions are.
     */
    default List<TrainingPair> batch(long orderSeed, long index, int batchSize) {
        List<TrainingPair> out = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
            out.add(at(orderSeed, index * batchSize + i));
        }
        return out;
    }
}
