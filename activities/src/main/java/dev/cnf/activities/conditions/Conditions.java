package dev.cnf.activities.conditions;

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

    /** Conditions whose extractor is a user-supplied annotator model (see {@link dev.cnf.activities.models.annotator.AnnotatorModel}). */
    public static final java.util.Set<String> MODEL_BACKED = java.util.Set.of("depth", "normal", "pose", "seg");

    /** The conditions computed with OpenCV alone. */
    public static java.util.Set<String> classicalNames() {
        return REGISTRY.keySet();
    }

    public static java.util.Set<String> names() {
        java.util.Set<String> all = new java.util.TreeSet<>(REGISTRY.keySet());
        all.addAll(MODEL_BACKED);
        return all;
    }

    /** The annotator kind a condition needs, or null for the classical conditions. */
    public static dev.cnf.activities.models.annotator.AnnotatorModel.Kind annotatorKind(String name) {
        return AnnotatedConditions.kindOf(name);
    }

    /** A model-backed condition over a loaded annotator (the caller closes the annotator). */
    public static Condition withAnnotator(String name, dev.cnf.activities.models.annotator.AnnotatorModel annotator) {
        return AnnotatedConditions.create(name, annotator);
    }

    private Conditions() {}

    public static Condition byName(String name) {
        Supplier<Condition> s = REGISTRY.get(name);
        if (MODEL_BACKED.contains(name)) {
            throw new IllegalArgumentException("condition '" + name + "' needs an annotator model: use withAnnotator");
        }
        if (s == null) {
            throw new IllegalArgumentException("unknown condition '" + name + "'; known: " + names());
        }
        return s.get();
    }
}
