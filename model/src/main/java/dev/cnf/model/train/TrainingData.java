package dev.cnf.model.train;

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
}
