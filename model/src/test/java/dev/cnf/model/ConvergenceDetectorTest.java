package dev.cnf.model;

import dev.cnf.model.train.ConvergenceDetector;
import dev.cnf.model.train.ConvergenceDetector.Point;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.*;

class ConvergenceDetectorTest {
    static OptionalInt feed(ConvergenceDetector d, double... probes) {
        OptionalInt fired = OptionalInt.empty();
        for (int i = 0; i < probes.length; i++) {
            OptionalInt r = d.add(new Point(i * 25, 0, probes[i]));
            if (r.isPresent()) {
                assertTrue(fired.isEmpty(), "fires once");
                fired = r;
            }
        }
        return fired;
    }

    @Test
    void firesAtTheStartOfASustainedJump() {
        ConvergenceDetector d = new ConvergenceDetector(ConvergenceDetector.Settings.defaults());
        // flat around 0.10, then a jump to ~0.45 from step 100 on
        OptionalInt s = feed(d, 0.10, 0.11, 0.10, 0.12, 0.45, 0.47, 0.50, 0.52);
        assertEquals(100, s.getAsInt());
        assertEquals(100, d.convergedStep().getAsInt());
    }

    @Test
    void patienceCountsFromTheDetectedStep() {
        ConvergenceDetector d = new ConvergenceDetector(ConvergenceDetector.Settings.defaults());
        assertFalse(d.patienceOver(1_000, 0), "no stop before convergence");
        feed(d, 0.10, 0.11, 0.10, 0.12, 0.45, 0.47, 0.50, 0.52); // converged at 100
        assertFalse(d.patienceOver(149, 50));
        assertTrue(d.patienceOver(150, 50));
        assertTrue(d.patienceOver(100, 0));
        assertFalse(d.patienceOver(10_000, -1), "-1 trains every step");
    }

    @Test
    void aSingleSpikeIsNotConvergence() {
        ConvergenceDetector d = new ConvergenceDetector(ConvergenceDetector.Settings.defaults());
        assertTrue(feed(d, 0.10, 0.11, 0.40, 0.10, 0.12, 0.11).isEmpty());
    }

    @Test
    void slowDriftBelowTheJumpDoesNotFire() {
        ConvergenceDetector d = new ConvergenceDetector(ConvergenceDetector.Settings.defaults());
        assertTrue(feed(d, 0.10, 0.10, 0.12, 0.14, 0.16, 0.17).isEmpty());
    }

    @Test
    void restoringTheSeriesReDerivesTheStep() {
        List<Point> history = new ArrayList<>();
        double[] v = {0.1, 0.1, 0.1, 0.5, 0.6};
        for (int i = 0; i < v.length; i++) {
            history.add(new Point(i * 10, 0, v[i]));
        }
        ConvergenceDetector d = new ConvergenceDetector(ConvergenceDetector.Settings.defaults());
        d.restore(history);
        assertEquals(30, d.convergedStep().getAsInt());
        assertEquals(5, d.points().size());
    }

    static List<Point> series(double... probes) {
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < probes.length; i++) {
            points.add(new Point(i * 50, 0, probes[i]));
        }
        return points;
    }

    /**
     * The demo run: flagged at 100 on ~0.2 against ~0.11, then 0.14 at 200. The earlier test (two baseline probes,
     * a jump of 0.08) called it converged at 100, a false positive by the reference; the deployed one (the probe before
     * training, a jump of 0.1) flags 250, from which the probe stays above its threshold.
     */
    @Test
    void aFlagFollowedByAFallBelowTheThresholdIsAFalsePositive() {
        List<Point> demo = series(0.11, 0.11, 0.20, 0.21, 0.14, 0.30, 0.35, 0.49, 0.40);
        ConvergenceDetector.Settings earlier = new ConvergenceDetector.Settings(2, 0.08, 3.0, 2);
        ConvergenceDetector d = new ConvergenceDetector(earlier);
        demo.forEach(d::add);
        assertEquals(100, d.convergedStep().getAsInt(), "the earlier test flags two probes in a row above 0.19");
        OptionalInt reference = ConvergenceDetector.referenceStep(demo, earlier);
        assertEquals(250, reference.getAsInt(), "from 250 on the probe stays above 0.11 + 0.08");
        assertEquals(ConvergenceDetector.Verdict.FALSE_POSITIVE, ConvergenceDetector.Verdict.of(100, reference));
        assertEquals(ConvergenceDetector.Verdict.HIT, ConvergenceDetector.Verdict.of(250, reference));
        assertEquals(ConvergenceDetector.Verdict.HIT, ConvergenceDetector.Verdict.of(300, reference));
        assertEquals(ConvergenceDetector.Verdict.MISS, ConvergenceDetector.Verdict.of(null, reference));

        ConvergenceDetector deployed = new ConvergenceDetector(ConvergenceDetector.Settings.defaults());
        demo.forEach(deployed::add);
        assertEquals(250, deployed.convergedStep().getAsInt(), "0.20 and 0.21 are not above 0.11 + 0.1");
        assertEquals(ConvergenceDetector.Verdict.HIT, ConvergenceDetector.Verdict.of(250,
                ConvergenceDetector.referenceStep(demo, ConvergenceDetector.Settings.defaults())));
    }

    @Test
    void withoutASustainedRiseThereIsNoReference() {
        ConvergenceDetector.Settings settings = ConvergenceDetector.Settings.defaults();
        OptionalInt fellBack = ConvergenceDetector.referenceStep(series(0.10, 0.10, 0.40, 0.45, 0.12), settings);
        assertTrue(fellBack.isEmpty(), "the last probe is back at the baseline");
        assertEquals(ConvergenceDetector.Verdict.FALSE_POSITIVE, ConvergenceDetector.Verdict.of(100, fellBack));
        assertEquals(ConvergenceDetector.Verdict.NONE, ConvergenceDetector.Verdict.of(null, fellBack));
        assertTrue(ConvergenceDetector.referenceStep(series(0.10), settings).isEmpty(), "no probe after the baseline");
    }
}
