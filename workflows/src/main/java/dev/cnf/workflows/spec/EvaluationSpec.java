package dev.cnf.workflows.spec;

import java.util.List;

/**
 * How the trained ControlNet is evaluated (and probed during training). Null means the default.
 *
 * @param evalSamples   held-out conditions, never trained on, that are sampled for the report and the probes
 * @param evalSteps     DDIM steps for evaluation samples
 * @param guidanceScale classifier-free guidance scale
 * @param controlScale  ControlNet residual scale when sampling
 * @param userPrompt    the evaluation's "user" prompt mode (the paper's fourth mode); empty skips that mode
 * @param selectCheckpoint which weights the run publishes: "last" (the last step's) or "best" (of the checkpoints
 *                      evaluated during training, {@code evalEvery}, and the last: the highest held-out edge F1)
 */
public record EvaluationSpec(Integer evalSamples, Integer evalSteps, Double guidanceScale, Double controlScale, String userPrompt,
                             String selectCheckpoint) {
    public static final List<String> SELECTIONS = List.of("last", "best");

    public EvaluationSpec {
        evalSamples = evalSamples == null ? 8 : evalSamples;
        evalSteps = evalSteps == null ? 20 : evalSteps;
        guidanceScale = guidanceScale == null ? 9.0 : guidanceScale;
        controlScale = controlScale == null ? 1.0 : controlScale;
        userPrompt = userPrompt == null ? "" : userPrompt;
        selectCheckpoint = Checks.blank(selectCheckpoint) ? "last" : selectCheckpoint;
    }

    public boolean selectsBest() {
        return selectCheckpoint.equals("best");
    }

    public static EvaluationSpec defaults() {
        return new EvaluationSpec(null, null, null, null, null, null);
    }

    public void addProblems(List<String> p) {
        Checks.range(p, "evalSamples", evalSamples, 1, 1024);
        Checks.range(p, "evalSteps", evalSteps, 1, 1000);
        if (!(guidanceScale >= 1 && guidanceScale <= 50)) {
            p.add("guidanceScale " + guidanceScale + ": must be in [1, 50]");
        }
        if (!(controlScale >= 0 && controlScale <= 2)) {
            p.add("controlScale " + controlScale + ": must be in [0, 2]");
        }
        if (userPrompt.length() > 1000) {
            p.add("userPrompt: at most 1000 characters");
        }
        Checks.oneOf(p, "selectCheckpoint", selectCheckpoint, SELECTIONS);
    }
}
