package dev.cnf.workflows.spec;

import java.util.List;

/**
 * How the trained ControlNet is evaluated (and probed during training). Null means the default.
 *
 * @param evalSamples   held-out conditions, never trained on, that are sampled for the report and the probes
 * @param evalSteps     DDIM steps for evaluation samples
 * @param guidanceScale classifier-free guidance scale; unless set, the base's ({@link ModelSpec#guidanceScale}: 9.0, the
 *                      paper's, or 5.0 for the shipped tiny-circles base), filled in by {@link #forModel}
 * @param controlScale  ControlNet residual scale when sampling
 * @param userPrompt    the evaluation's "user" prompt mode (the paper's fourth mode); empty skips that mode
 * @param selectCheckpoint which weights the run publishes: "last" (the last step's) or "best" (of the checkpoints
 *                      evaluated during training, {@code evalEvery}, and the last: the highest held-out edge F1)
 * @param composeWith   published ControlNets ({@code name}, {@code name@version}, each optionally {@code :scale}) that the
 *                      final evaluation composes with this run's, as diffusers' MultiControlNetModel (residuals summed): an
 *                      extra prompt mode "composed" (automatic prompts), each of them fed its own condition extracted from
 *                      the held-out images, scored against this run's condition
 * @param validationImages conditions the user chooses (s3://bucket/key or worker paths), as diffusers'
 *                      {@code --validation_image}: every evaluation (each {@code evalEvery} and the last) also samples them
 *                      with {@code validationPrompts}, shown in the report and stored beside the held-out samples
 * @param validationPrompts one prompt per validation image, or one for all of them (or one image for all prompts), as
 *                      diffusers pairs {@code --validation_prompt}; none: the default prompt
 */
public record EvaluationSpec(Integer evalSamples, Integer evalSteps, Double guidanceScale, Double controlScale, String userPrompt,
                             String selectCheckpoint, List<String> composeWith, List<String> validationImages, List<String> validationPrompts) {
    /** At most this many validation pairs: each is sampled at every evaluation. */
    public static final int MAX_VALIDATION = 32;

    public static final List<String> SELECTIONS = List.of("last", "best");
    /** At most this many ControlNets composed with the run's own. */
    public static final int MAX_COMPOSED = 4;
    private static final java.util.regex.Pattern COMPOSED =
            java.util.regex.Pattern.compile("([a-z0-9][a-z0-9._-]{0,62})(?:@([A-Za-z0-9][A-Za-z0-9._-]{0,62}))?(?::([0-9]*\\.?[0-9]+))?");

    /** One published ControlNet to compose with: its name, its version (null: the latest) and its residual scale. */
    public record Composed(String name, String version, double scale) {
        /** What the report and metrics name it by: name@version (or name@latest) x scale. */
        public String label() {
            return name + "@" + (version == null ? "latest" : version) + " x" + scale;
        }
    }

    /** Defaults except the guidance scale, which depends on the base ({@link #forModel}). */
    public EvaluationSpec {
        evalSamples = evalSamples == null ? 8 : evalSamples;
        evalSteps = evalSteps == null ? 20 : evalSteps;
        controlScale = controlScale == null ? 1.0 : controlScale;
        userPrompt = userPrompt == null ? "" : userPrompt;
        selectCheckpoint = Checks.blank(selectCheckpoint) ? "last" : selectCheckpoint;
        composeWith = composeWith == null ? List.of() : List.copyOf(composeWith);
        validationImages = validationImages == null ? List.of() : validationImages.stream().map(Checks::stripped).toList();
        validationPrompts = validationPrompts == null ? List.of() : validationPrompts.stream().map(v -> v == null ? "" : v).toList();
    }

    /** One validation pair: where its condition is, and its prompt. */
    public record Validation(String condition, String prompt) {}

    /**
     * The validation pairs as diffusers forms them: images and prompts by index, or one of either for all of the other;
     * without prompts, {@code defaultPrompt}. Only valid input (no {@link #addProblems problems}) has them all.
     */
    public List<Validation> validations(String defaultPrompt) {
        int n = Math.max(validationImages.size(), validationPrompts.size());
        List<Validation> out = new java.util.ArrayList<>();
        if (validationImages.isEmpty()) {
            return out;
        }
        for (int i = 0; i < n; i++) {
            String image = validationImages.get(validationImages.size() == 1 ? 0 : i);
            String prompt = validationPrompts.isEmpty() ? defaultPrompt : validationPrompts.get(validationPrompts.size() == 1 ? 0 : i);
            out.add(new Validation(image, prompt));
        }
        return out;
    }

    /** The composed ControlNets, parsed; only valid input (no {@link #addProblems problems}) has them all. */
    public List<Composed> composed() {
        List<Composed> out = new java.util.ArrayList<>();
        for (String ref : composeWith) {
            java.util.regex.Matcher m = COMPOSED.matcher(ref == null ? "" : ref.strip());
            if (m.matches()) {
                out.add(new Composed(m.group(1), m.group(2), m.group(3) == null ? 1.0 : Double.parseDouble(m.group(3))));
            }
        }
        return out;
    }

    public boolean selectsBest() {
        return selectCheckpoint.equals("best");
    }

    public static EvaluationSpec defaults() {
        return new EvaluationSpec(null, null, null, null, null, null, null, null, null);
    }

    /** With the base's guidance scale unless one is set. */
    public EvaluationSpec forModel(ModelSpec model) {
        return new EvaluationSpec(evalSamples, evalSteps, guidanceScale != null ? guidanceScale : model.guidanceScale(), controlScale,
                userPrompt, selectCheckpoint, composeWith, validationImages, validationPrompts);
    }

    public void addProblems(List<String> p) {
        Checks.range(p, "evalSamples", evalSamples, 1, 1024);
        Checks.range(p, "evalSteps", evalSteps, 1, 1000);
        if (guidanceScale != null && !(guidanceScale >= 1 && guidanceScale <= 50)) {
            p.add("guidanceScale " + guidanceScale + ": must be in [1, 50]");
        }
        if (!(controlScale >= 0 && controlScale <= 2)) {
            p.add("controlScale " + controlScale + ": must be in [0, 2]");
        }
        if (userPrompt.length() > 1000) {
            p.add("userPrompt: at most 1000 characters");
        }
        Checks.oneOf(p, "selectCheckpoint", selectCheckpoint, SELECTIONS);
        if (composeWith.size() > MAX_COMPOSED) {
            p.add("composeWith: " + composeWith.size() + " ControlNets; at most " + MAX_COMPOSED);
        }
        int images = validationImages.size(), prompts = validationPrompts.size();
        if (prompts > 0 && images == 0) {
            p.add("validationPrompts: give the validationImages (conditions) they are sampled with");
        } else if (images > 1 && prompts > 1 && images != prompts) {
            p.add("validationImages (" + images + ") and validationPrompts (" + prompts + "): give as many of each, or one of either for all");
        }
        if (Math.max(images, prompts) > MAX_VALIDATION) {
            p.add("validationImages: " + Math.max(images, prompts) + " validation pairs; at most " + MAX_VALIDATION);
        }
        for (String image : validationImages) {
            if (!Checks.isLocation(image)) {
                p.add("validationImages '" + image + "': use s3://bucket/key or an absolute path on the workers");
            }
        }
        for (String prompt : validationPrompts) {
            if (prompt.length() > 1000) {
                p.add("validationPrompts: at most 1000 characters each");
            }
        }
        for (String ref : composeWith) {
            java.util.regex.Matcher m = COMPOSED.matcher(ref == null ? "" : ref.strip());
            if (!m.matches()) {
                p.add("composeWith '" + ref + "': give a published ControlNet as name, name@version, optionally with :scale (e.g. edges@v3:0.5)");
            } else if (m.group(3) != null && !(Double.parseDouble(m.group(3)) <= 2)) {
                p.add("composeWith '" + ref + "': the scale must be in [0, 2]");
            }
        }
    }
}
