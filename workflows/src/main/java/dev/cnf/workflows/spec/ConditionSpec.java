package dev.cnf.workflows.spec;

import java.util.List;

/**
 * The control condition extracted from every image. Null means the default.
 *
 * @param condition      one of {@link Condition}'s ids: canny, depth, hough, lineart, normal, pose, scribble, seg, sketch, softedge
 * @param annotatorModel TorchScript (.pt) or ONNX (.onnx) model of a model-backed condition (depth, normal from a depth
 *                       model, seg, pose), as s3://bucket/key or an absolute path on the workers; its existence is checked
 *                       before any work starts
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

    public void addProblems(List<String> p) {
        Checks.oneOf(p, "condition", condition, Condition.ids());
        if (modelBacked() && annotatorModel.isEmpty()) {
            p.add("annotatorModel: condition '" + condition + "' needs a TorchScript or ONNX " + kind().annotatorKind()
                    + " model, as s3://bucket/key or an absolute path on the workers");
        }
        Checks.location(p, "annotatorModel", annotatorModel);
    }
}
