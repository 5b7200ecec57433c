package dev.cnf.activities.condition;

import java.util.Map;
import java.util.function.Supplier;

/** Conditions by name, as the workflow input selects them. */
public final class Conditions {
    private static final Map<String, Supplier<Condition>> REGISTRY = new java.util.TreeMap<>(Map.of(
            "canny", CannyCondition::new,
            "hough", HoughCondition::new,
            "softedge", SoftEdgeCondition::new,
            "scribble", ScribbleCondition::new,
            "sketch", SketchCondition::new,
            "lineart", LineartCondition::new));

    public static java.util.Set<String> names() {
        return REGISTRY.keySet();
    }

    private Conditions() {}

    public static Condition byName(String name) {
        Supplier<Condition> s = REGISTRY.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown condition '" + name + "'; known: " + REGISTRY.keySet());
        }
        return s.get();
    }
}
