package dev.cnf.activities.study;

import dev.cnf.model.train.ConvergenceDetector;
import dev.cnf.workflows.stages.StudyActivities;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The study report's replay of the detector with other persistence, on the demo series. */
class DetectorPersistenceTest {
    static StudyActivitiesImpl.ArmFacts arm(double... probes) {
        List<double[]> series = new ArrayList<>();
        List<ConvergenceDetector.Point> points = new ArrayList<>();
        for (int i = 0; i < probes.length; i++) {
            series.add(new double[] {i * 50, probes[i]});
            points.add(new ConvergenceDetector.Point(i * 50, 0, probes[i]));
        }
        ConvergenceDetector deployed = new ConvergenceDetector(ConvergenceDetector.Settings.defaults());
        points.forEach(deployed::add);
        Integer flagged = deployed.convergedStep().isPresent() ? deployed.convergedStep().getAsInt() : null;
        var reference = ConvergenceDetector.referenceStep(points, ConvergenceDetector.Settings.defaults());
        return new StudyActivitiesImpl.ArmFacts(new StudyActivities.Arm("a", "v", 1, "w", null, "log", null, null), series, List.of(),
                null, null, flagged, reference.isPresent() ? reference.getAsInt() : null, ConvergenceDetector.Verdict.of(flagged, reference),
                600, 0.1, null, null, List.of(), null);
    }

    @Test
    void aStricterTestWouldNotHaveFlaggedTheDemosFallBack() {
        // flagged at 100 by two probes above 0.19, back to 0.14 at 200, above the threshold for good from 250
        List<Map<String, Object>> rows = StudyActivitiesImpl.persistenceAlternatives(List.of(arm(0.11, 0.11, 0.20, 0.21, 0.14, 0.30, 0.35,
                0.49, 0.40)));
        assertEquals(List.of(1, 2, 3, 4), rows.stream().map(r -> r.get("persistence")).toList());
        assertEquals(List.of(false, true, false, false), rows.stream().map(r -> r.get("deployed")).toList());
        assertEquals(List.of(1, 1, 0, 0), rows.stream().map(r -> r.get("FALSE_POSITIVE")).toList());
        assertEquals(List.of(0, 0, 1, 1), rows.stream().map(r -> r.get("HIT")).toList());
        assertEquals(0.0, ((StudyActivitiesImpl.Spread) rows.get(2).get("hitLatenessSteps")).mean(), "flagged at the reference, 250");
    }
}
