package dev.cnf.workflows.spec;

import java.util.List;

/**
 * The control condition extracted from every image, or, with the user's pairs, the name of the conditions they give.
 * Null means the default.
 *
 * @param condition      one of {@link Condition}'s ids: canny, depth, hough, lineart, normal, pose, scribble, seg, sketch, softedge;
 *                       with pairs any name (e.g. {@code mask}), where a known id also picks its evaluation metric
 * @param annotatorModel TorchScript (.pt) or ONNX (.onnx) model of a model-backed condition (depth, normal from a depth
 *                       model, seg, pose), as s3://bucket/key or an absolute path on the workers; its existence is checked
 *                       before any work starts; with pairs it is optional and only scores the samples
 */
public record ConditionSpec(String condition, String annotatorModel) {
    public ConditionSpec {
        condition = Checks.blank(condition) ? Condition.CANNY.id() : condition;
        annotatorModel = Checks.stripped(annotatorModel);
    }

    public static ConditionSpec defaults() {
        return new ConditionSpec(null, null);
    }

    /** The condition; only valid input (no {@link #addProblems problems}) has one. */
    public Condition kind() {
        return Condition.of(condition).orElseThrow(() -> new IllegalArgumentException("unknown condition " + condition));
    }

    public boolean modelBacked() {
        return Condition.of(condition).map(Condition::modelBacked).orElse(false);
    }

    /** @param given the conditions come with the data (pairs): none is extracted, so any name and no annotator do */
    public void addProblems(List<String> p, boolean given) {
        if (given) {
            if (!condition.matches("[a-z][a-z0-9_-]{0,31}")) {
                p.add("condition '" + condition + "': name the given conditions with 1-32 lower-case letters, digits, '_' or '-'"
                        + " (a known one, " + Condition.ids() + ", also picks its metric)");
            }
        } else {
            Checks.oneOf(p, "condition", condition, Condition.ids());
        }
        if (!given && modelBacked() && annotatorModel.isEmpty()) {
            p.add("annotatorModel: condition '" + condition + "' needs a TorchScript or ONNX " + kind().annotatorKind()
                    + " model, as s3://bucket/key or an absolute path on the workers");
        }
        Checks.location(p, "annotatorModel", annotatorModel);
    }
}
