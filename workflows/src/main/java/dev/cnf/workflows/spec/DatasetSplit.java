package dev.cnf.workflows.spec;

import java.util.List;

/**
 * The train / held-out split of the dataset table, computed once per run and passed to training (which probes the
 * held-out part and never trains on it) and to evaluation (which samples it): the last {@code heldOut} rows.
 *
 * @param samplesKey the dataset table (with conditions)
 * @param size       its rows, checked when the split is applied
 * @param heldOut    rows held out: the evaluation's count, at most a quarter of the table, at least one; with fewer than
 *                   two rows none can be held out and the one table is used for both (the report says so by its counts)
 */
public record DatasetSplit(String samplesKey, int size, int heldOut) {
    public static DatasetSplit of(String samplesKey, int size, EvaluationSpec evaluation) {
        return new DatasetSplit(samplesKey, size, size < 2 ? size : Math.max(1, Math.min(evaluation.evalSamples(), size / 4)));
    }

    private boolean shared() {
        return size < 2;
    }

    /** The training rows: the table's first this many. */
    public int trainRows() {
        return shared() ? size : size - heldOut;
    }

    /** The first held-out row: the held-out rows run from it to the table's end. */
    public int heldOutFrom() {
        return shared() ? 0 : size - heldOut;
    }

    public <T> List<T> train(List<T> table) {
        check(table);
        return shared() ? table : table.subList(0, size - heldOut);
    }

    public <T> List<T> heldOut(List<T> table) {
        check(table);
        return shared() ? table : table.subList(size - heldOut, size);
    }

    private void check(List<?> table) {
        if (table.size() != size) {
            throw new IllegalStateException("the dataset table " + samplesKey + " has " + table.size() + " rows, the split was made for "
                    + size + ": the table changed after the split");
        }
    }
}
