package dev.cnf.model.train;

import java.util.List;

/**
 * Training pairs in memory: images CHW in [-1, 1], conditions CHW in [0, 1], and captions, all at the config's sample
 * size. Each epoch visits them in a whole-set permutation drawn from (seed, epoch).
 */
public final class TrainingSet implements TrainingData {
    private final List<float[]> images;
    private final List<float[]> conditions;
    private final List<String> captions;
    private final DataOrder order;
    /** The permutation of the epoch asked for last, and what it was drawn from: one is built per epoch. */
    private int[] epochRows;
    private long rowsSeed;
    private long rowsEpoch = -1;

    public TrainingSet(List<float[]> images, List<float[]> conditions, List<String> captions) {
        if (images.isEmpty() || images.size() != conditions.size() || images.size() != captions.size()) {
            throw new IllegalArgumentException("training set needs equally many (>0) images, conditions and captions; got "
                    + images.size() + "/" + conditions.size() + "/" + captions.size());
        }
        this.images = images;
        this.conditions = conditions;
        this.captions = captions;
        this.order = DataOrder.inMemory(images.size());
    }

    public List<float[]> images() {
        return images;
    }

    public List<float[]> conditions() {
        return conditions;
    }

    public List<String> captions() {
        return captions;
    }

    @Override
    public int size() {
        return images.size();
    }

    /** The (square) image side in pixels. */
    public int resolution() {
        return (int) Math.round(Math.sqrt(images.get(0).length / 3.0));
    }

    /** The pair of one row, in the set's own order. */
    public TrainingPair pair(int row) {
        return new TrainingPair(row, images.get(row), conditions.get(row), captions.get(row));
    }

    @Override
    public TrainingPair at(long orderSeed, long position) {
        long epoch = position / size();
        if (epochRows == null || orderSeed != rowsSeed || epoch != rowsEpoch) {
            epochRows = order.cursor(orderSeed, epoch, 0).buffered(); // the whole set is in the buffer: the epoch's permutation
            rowsSeed = orderSeed;
            rowsEpoch = epoch;
        }
        return pair(epochRows[(int) (position % size())]);
    }
}
