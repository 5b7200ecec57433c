package dev.cnf.model.train;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Detects the paper's "sudden convergence": the evaluation at which a ControlNet abruptly starts to
 * follow its condition. A one-sided change-point test on the controllability probe series: the first
 * {@code baselineEvals} points define the level before the change (mean, spread; the spread is 0 with one point); the
 * change is declared at the first point that exceeds that level by more than max(minJump, sigmas·spread) and stays
 * above it for {@code persistence} consecutive evaluations. It fires once.
 */
public final class ConvergenceDetector {
    /** One evaluation: the step, the condition gain and the probe score (e.g. edge F1). */
    public record Point(int step, double conditionGain, double probe) {}

    public record Settings(int baselineEvals, double minJump, double sigmas, int persistence) {
        public Settings {
            if (baselineEvals < 1 || persistence < 1) {
                throw new IllegalArgumentException("baselineEvals and persistence must be >= 1");
            }
        }

        /**
         * The baseline is the probe before any training (with zero joins: the base itself): a second baseline probe,
         * 50 steps in, already rose on the retrained tiny base and inflated the spread term. A jump of 0.1 edge F1,
         * held for two probes.
         */
        public static Settings defaults() {
            return new Settings(1, 0.1, 3.0, 2);
        }
    }

    private final Settings settings;
    private final List<Point> points = new ArrayList<>();
    private Integer convergedStep;

    public ConvergenceDetector(Settings settings) {
        this.settings = settings;
    }

    /** Adds an evaluation; returns the converged step the first time the change is confirmed. */
    public OptionalInt add(Point p) {
        points.add(p);
        if (convergedStep != null || points.size() < settings.baselineEvals() + settings.persistence()) {
            return OptionalInt.empty();
        }
        double threshold = threshold(points, settings);
        int run = 0;
        for (int i = settings.baselineEvals(); i < points.size(); i++) {
            run = points.get(i).probe() > threshold ? run + 1 : 0;
            if (run == settings.persistence()) {
                convergedStep = points.get(i - run + 1).step();
                return OptionalInt.of(convergedStep);
            }
        }
        return OptionalInt.empty();
    }

    private static double threshold(List<Point> points, Settings settings) {
        int n = settings.baselineEvals();
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += points.get(i).probe() / n;
        }
        double var = 0;
        for (int i = 0; i < n; i++) {
            var += Math.pow(points.get(i).probe() - mean, 2) / n;
        }
        return mean + Math.max(settings.minJump(), settings.sigmas() * Math.sqrt(var));
    }

    /** How a detection compares with the probe series' {@link #referenceStep}. */
    public enum Verdict {
        /** flagged at or after the step from which the probe stayed above the threshold */
        HIT,
        /** flagged, but the probe fell back below the threshold later (or never stayed above it) */
        FALSE_POSITIVE,
        /** not flagged, though the probe stayed above the threshold from some step on */
        MISS,
        /** neither flagged nor converged */
        NONE;

        public static Verdict of(Integer detectedStep, OptionalInt referenceStep) {
            if (detectedStep == null) {
                return referenceStep.isPresent() ? MISS : NONE;
            }
            return referenceStep.isPresent() && detectedStep >= referenceStep.getAsInt() ? HIT : FALSE_POSITIVE;
        }
    }

    /**
     * The reference a detection is judged by, known only once training ended: the first probe after the baseline from
     * which every later probe stays above the baseline's threshold (the same threshold the detector uses); empty when the
     * last probe is not above it or there are too few probes.
     */
    public static OptionalInt referenceStep(List<Point> points, Settings settings) {
        if (points.size() <= settings.baselineEvals()) {
            return OptionalInt.empty();
        }
        double threshold = threshold(points, settings);
        Integer from = null;
        for (int i = points.size() - 1; i >= settings.baselineEvals() && points.get(i).probe() > threshold; i--) {
            from = points.get(i).step();
        }
        return from == null ? OptionalInt.empty() : OptionalInt.of(from);
    }

    public OptionalInt convergedStep() {
        return convergedStep == null ? OptionalInt.empty() : OptionalInt.of(convergedStep);
    }

    /**
     * The detector's stop action: true once {@code step} is at least {@code patience} steps past the detected
     * step; never before convergence, and never with a negative patience (train all steps).
     */
    public boolean patienceOver(int step, int patience) {
        return patience >= 0 && convergedStep != null && step >= convergedStep + patience;
    }

    public List<Point> points() {
        return List.copyOf(points);
    }

    /** Restores the series after a resume; the converged step is re-derived, not trusted. */
    public void restore(List<Point> history) {
        points.clear();
        convergedStep = null;
        for (Point p : history) {
            add(p);
        }
    }
}
