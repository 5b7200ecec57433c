package dev.cnf.model.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training pairs in memory: images CHW in [-1, 1], conditions CHW in [0, 1], and captions, at the config's sample size
 * or, for a held-out set cleaned into aspect buckets, each at its bucket's size. Each epoch visits them in a whole-set
 * permutation drawn from (seed, epoch).
 */
public final class TrainingSet implements TrainingData {
    private final List<float[]> images;
    private final List<float[]> conditions;
    private final List<String> captions;
    /** Each sample's {width, height}. */
    private final List<int[]> sizes;
    private final DataOrder order;
    /** The permutation of the epoch asked for last, and what it was drawn from: one is built per epoch. */
    private int[] epochRows;
    private long rowsSeed;
    private long rowsEpoch = -1;

    /** Square samples, their side from their length. */
    public TrainingSet(List<float[]> images, List<float[]> conditions, List<String> captions) {
        this(images, conditions, captions, images.stream().map(i -> {
            int side = TrainingPair.squareSide(i);
            return new int[] {side, side};
        }).toList());
    }

    /** @param sizes each sample's {width, height} */
    public TrainingSet(List<float[]> images, List<float[]> conditions, List<String> captions, List<int[]> sizes) {
        if (images.isEmpty() || images.size() != conditions.size() || images.size() != captions.size() || images.size() != sizes.size()) {
            throw new IllegalArgumentException("training set needs equally many (>0) images, conditions, captions and sizes; got "
                    + images.size() + "/" + conditions.size() + "/" + captions.size() + "/" + sizes.size());
        }
        this.images = images;
        this.conditions = conditions;
        this.captions = captions;
        this.sizes = List.copyOf(sizes);
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

    /** Sample {@code row}'s width. */
    public int width(int row) {
        return sizes.get(row)[0];
    }

    /** Sample {@code row}'s height. */
    public int height(int row) {
        return sizes.get(row)[1];
    }

    /**
     * The samples grouped by size, in the order the sizes first appear, each group in the set's order: what a batch of
     * one size takes. A set of one size is its own only group.
     */
    public List<TrainingSet> bySize() {
        Map<String, List<Integer>> rows = new LinkedHashMap<>();
        for (int i = 0; i < size(); i++) {
            rows.computeIfAbsent(width(i) + "x" + height(i), k -> new ArrayList<>()).add(i);
        }
        if (rows.size() == 1) {
            return List.of(this);
        }
        List<TrainingSet> out = new ArrayList<>();
        for (List<Integer> group : rows.values()) {
            out.add(new TrainingSet(group.stream().map(images::get).toList(), group.stream().map(conditions::get).toList(),
                    group.stream().map(captions::get).toList(), group.stream().map(sizes::get).toList()));
        }
        return out;
    }

    /** The pair of one row, in the set's own order. */
    public TrainingPair pair(int row) {
        return new TrainingPair(row, images.get(row), conditions.get(row), captions.get(row), width(row), height(row));
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
