package dev.cnf.workflows.spec;

import java.util.List;

/**
 * How the model is published. Null means the default.
 *
 * @param version            published version; empty → derived from the workflow start time and run id
 * @param promotionTolerance how much worse than the current latest a new version may score on the gate's metric
 *                           (depth RMSE or segmentation mIoU when an annotator measured it, else edge F1), as a
 *                           fraction of that metric's full scale, and still become latest; otherwise it is a candidate
 */
public record PublishSpec(String version, Double promotionTolerance) {
    public PublishSpec {
        version = version == null ? "" : version;
        promotionTolerance = promotionTolerance == null ? 0.02 : promotionTolerance;
    }

    public static PublishSpec defaults() {
        return new PublishSpec(null, null);
    }

    public void addProblems(List<String> p) {
        if (!(promotionTolerance >= 0 && promotionTolerance <= 1)) {
            p.add("promotionTolerance " + promotionTolerance + ": must be in [0, 1] (a fraction of the gate metric's full scale)");
        }
        if (!version.isEmpty() && !version.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            p.add("version '" + version + "': use letters, digits, '.', '_' or '-'");
        }
    }
}
