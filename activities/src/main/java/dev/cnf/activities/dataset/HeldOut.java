package dev.cnf.activities.dataset;

import java.util.List;

/**
 * The deterministic train / held-out split that training and evaluation agree on: the last
 * {@code n} samples of the table (at most a quarter of it, at least one) are never trained on.
 */
public record HeldOut(List<Sample> train, List<Sample> heldOut) {
    public static HeldOut split(List<Sample> samples, int n) {
        if (samples.size() < 2) {
            return new HeldOut(samples, samples); // too few to hold any out; the report says so via counts
        }
        int k = Math.max(1, Math.min(n, samples.size() / 4));
        return new HeldOut(samples.subList(0, samples.size() - k), samples.subList(samples.size() - k, samples.size()));
    }
}
