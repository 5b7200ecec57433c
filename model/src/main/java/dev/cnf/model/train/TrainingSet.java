package dev.cnf.model.train;

import java.util.List;

/**
 * Training pairs in memory: images CHW in [-1, 1], conditions CHW in [0, 1], and captions, all at the config's sample
 * size. Each epoch visits them in a whole-set permutation drawn from (seed, epoch).
 */
public record TrainingSet(List<float[]> images, List<float[]> conditions, List<String> captions) implements TrainingData {
    public TrainingSet {
        if (images.isEmpty() || images.size() != conditions.size() || images.size() != captions.size()) {
            throw new IllegalArgumentException("training set needs equally many (>0) images, conditions and captions; got "
                    + images.size() + "/" + conditions.size() + "/" + captions.size());
        }
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
        return pair(Orders.row(orderSeed, position, size()));
    }

    /** The epochs' permutations, one held at a time (a record has no fields of its own to keep it in). */
    private static final class Orders {
        private static final ThreadLocal<Object[]> LAST = new ThreadLocal<>();

        static int row(long seed, long position, int size) {
            long epoch = position / size;
            Object[] last = LAST.get();
            if (last == null || (long) last[0] != seed || (long) last[1] != epoch || (int) last[2] != size) {
                DataOrder.Cursor c = DataOrder.inMemory(size).cursor(seed, epoch, 0);
                int[] rows = c.buffered();
                last = new Object[] {seed, epoch, size, rows};
                LAST.set(last);
            }
            return ((int[]) last[3])[(int) (position % size)];
        }
    }
}
