package dev.cnf.workflows.spec;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The control conditions a run can train on: the one list the input check, the condition extractors and the
 * evaluation refer to. Model-backed conditions come from a user-supplied annotator model ({@code annotatorModel});
 * the others are computed by OpenCV.
 */
public enum Condition {
    CANNY(false), DEPTH(true), HOUGH(false), LINEART(false), NORMAL(true), POSE(true), SCRIBBLE(false), SEG(true), SKETCH(false),
    SOFTEDGE(false);

    private final boolean modelBacked;

    Condition(boolean modelBacked) {
        this.modelBacked = modelBacked;
    }

    /** The name in inputs, configs and file names: lower case. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public boolean modelBacked() {
        return modelBacked;
    }

    /** What the annotator model must estimate: normals are derived from a depth model. */
    public String annotatorKind() {
        return this == NORMAL ? DEPTH.id() : id();
    }

    public static Optional<Condition> of(String id) {
        return Arrays.stream(values()).filter(c -> c.id().equals(id)).findFirst();
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(Condition::id).toList();
    }

    public static List<String> modelBackedIds() {
        return Arrays.stream(values()).filter(Condition::modelBacked).map(Condition::id).toList();
    }
}
