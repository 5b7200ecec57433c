package dev.cnf.activities.conditions;

import dev.cnf.activities.models.annotator.AnnotatorModel;
import dev.cnf.workflows.spec.Condition;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/** The extractors of the conditions the workflow input selects ({@link Condition}, the one list of them). */
public final class Conditions {
    private static final Map<Condition, Supplier<ConditionExtractor>> CLASSICAL = classical();

    private static Map<Condition, Supplier<ConditionExtractor>> classical() {
        Map<Condition, Supplier<ConditionExtractor>> m = new EnumMap<>(Condition.class);
        m.put(Condition.CANNY, CannyCondition::new);
        m.put(Condition.HOUGH, HoughCondition::new);
        m.put(Condition.SOFTEDGE, SoftEdgeCondition::new);
        m.put(Condition.SCRIBBLE, ScribbleCondition::new);
        m.put(Condition.SKETCH, SketchCondition::new);
        m.put(Condition.LINEART, LineartCondition::new);
        return m;
    }

    /** Conditions whose extractor is a user-supplied annotator model (see {@link AnnotatorModel}). */
    public static final Set<String> MODEL_BACKED = Set.copyOf(Condition.modelBackedIds());

    private Conditions() {}

    /** The conditions computed with OpenCV alone. */
    public static Set<String> classicalNames() {
        Set<String> names = new TreeSet<>();
        CLASSICAL.keySet().forEach(c -> names.add(c.id()));
        return names;
    }

    /** Every condition an extractor exists for: the classical ones and the model-backed ones. */
    public static Set<String> names() {
        Set<String> all = new TreeSet<>(classicalNames());
        all.addAll(MODEL_BACKED);
        return all;
    }

    /** The annotator kind a condition needs, or null for the classical conditions. */
    public static AnnotatorModel.Kind annotatorKind(String name) {
        return AnnotatedConditions.kindOf(name);
    }

    /** A model-backed condition over a loaded annotator (the caller closes the annotator). */
    public static ConditionExtractor withAnnotator(String name, AnnotatorModel annotator) {
        return AnnotatedConditions.create(name, annotator);
    }

    public static ConditionExtractor byName(String name) {
        if (MODEL_BACKED.contains(name)) {
            throw new IllegalArgumentException("condition '" + name + "' needs an annotator model: use withAnnotator");
        }
        Supplier<ConditionExtractor> s = Condition.of(name).map(CLASSICAL::get).orElse(null);
        if (s == null) {
            throw new IllegalArgumentException("unknown condition '" + name + "'; known: " + List.copyOf(names()));
        }
        return s.get();
    }
}
