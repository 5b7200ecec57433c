package dev.cnf.model.train;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Detects the paper's "sudden convergence": the evaluation at which a ControlNet abruptly starts to
 * follow its condition. A one-sided change-point test on the controllability probe series: the first
 * {@code baselineEvals} points define the level before the change (mean, spread); the change is
 * declared at the first point that exceeds that level by more than max(minJump, sigmas·spread)
 * and stays above it for {@code persistence} consecutive evaluations. It fires once.
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

        public static Settings defaults() {
            return new Settings(2, 0.08, 3.0, 2);
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
        double threshold = threshold();
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

    private double threshold() {
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
