package dev.cnf.activities.study;

import dev.cnf.model.train.ConvergenceDetector;
import dev.cnf.workflows.stages.StudyActivities;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The study report's replay of the detector with other jumps and persistence. */
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
    void aStricterTestWouldNotHaveFlaggedAnEarlyFallBack() {
        // above the threshold (0.11 + 0.1) at 50 and 100, back to 0.15 at 150, above it for good from 200
        List<Map<String, Object>> all = StudyActivitiesImpl.detectorAlternatives(List.of(arm(0.11, 0.25, 0.26, 0.15, 0.30, 0.35,
                0.49, 0.40)));
        assertEquals(16, all.size(), "4 jumps x persistence 1 to 4");
        assertEquals(1, all.stream().filter(r -> Boolean.TRUE.equals(r.get("deployed"))).count());
        List<Map<String, Object>> rows = all.stream().filter(r -> r.get("minJump").equals(0.1)).toList();
        assertEquals(List.of(1, 2, 3, 4), rows.stream().map(r -> r.get("persistence")).toList());
        assertEquals(List.of(false, true, false, false), rows.stream().map(r -> r.get("deployed")).toList());
        assertEquals(List.of(1, 1, 0, 0), rows.stream().map(r -> r.get("FALSE_POSITIVE")).toList());
        assertEquals(List.of(0, 0, 1, 1), rows.stream().map(r -> r.get("HIT")).toList());
        assertEquals(0.0, ((StudyActivitiesImpl.Spread) rows.get(2).get("hitLatenessSteps")).mean(), "flagged at the reference, 200");
        Map<String, Object> highJump = all.stream().filter(r -> r.get("minJump").equals(0.2) && r.get("persistence").equals(1)).findFirst()
                .orElseThrow();
        assertEquals(1, highJump.get("HIT"), "above 0.31 first at 250, after the reference");
        assertEquals(50.0, ((StudyActivitiesImpl.Spread) highJump.get("hitLatenessSteps")).mean());
    }
}
