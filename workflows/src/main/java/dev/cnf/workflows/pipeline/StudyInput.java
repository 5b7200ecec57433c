package dev.cnf.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A study: variants of one pipeline input, each trained with several seeds, every arm as its own pipeline run on one
 * shared dataset. Every field has a default, so {@code {}} from the Temporal UI runs the paper's ablations on the default
 * input.
 *
 * @param base          the pipeline input every arm starts from, in either of its JSON forms ({} = its defaults); the study
 *                      sets each arm's {@code name} ({@code <base name>-<variant>-s<seed>}), {@code seed} and {@code dataset}
 * @param variants      each a name and the input fields it sets over the base (flat or {@code spec.field}), optionally its
 *                      own seeds; default {@link #paperVariants}
 * @param seeds         the seeds of every variant that names none; default [1, 2, 3]
 * @param parallelArms  arms in flight at once (their training still queues for the GPU workers' slots); default 2
 * @param inputProblems what the JSON itself got wrong; not serialised
 */
public record StudyInput(Map<String, Object> base, List<Variant> variants, List<Long> seeds, Integer parallelArms,
                         @JsonIgnore List<String> inputProblems) {
    /** @param seeds null: the study's seeds */
    public record Variant(String name, Map<String, Object> set, List<Long> seeds) {
        public Variant {
            set = set == null ? Map.of() : set;
        }
    }

    /** One pipeline run of the study. */
    public record Arm(String key, String variant, long seed, PipelineInput input) {}

    static final int MAX_ARMS = 200;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FIELDS = List.of("base", "variants", "seeds", "parallelArms");

    public StudyInput {
        base = base == null ? Map.of() : base;
        variants = variants == null ? paperVariants(PipelineInput.fromJson(base).training().trainSteps()) : List.copyOf(variants);
        seeds = seeds == null ? List.of(1L, 2L, 3L) : List.copyOf(seeds);
        parallelArms = parallelArms == null ? 2 : parallelArms;
        inputProblems = inputProblems == null ? List.of() : List.copyOf(inputProblems);
    }

    public static StudyInput defaults() {
        return new StudyInput(null, null, null, null, null);
    }

    /**
     * The paper's claims as arms: the default (5 seeds, for the spread of the sudden-convergence step), Gaussian instead
     * of zero joins, no prompt dropout, the paper's hint encoder instead of diffusers', and the small- and large-scale
     * modes (the base unlocked halfway).
     */
    public static List<Variant> paperVariants(int trainSteps) {
        return List.of(
                new Variant("default", Map.of(), List.of(1L, 2L, 3L, 4L, 5L)),
                new Variant("gaussian-joins", Map.of("zeroConvInit", "gaussian"), null),
                new Variant("no-prompt-dropout", Map.of("promptDropout", 0.0), null),
                new Variant("paper-hint-encoder", Map.of("hintEncoder", "paper"), null),
                new Variant("small-scale", Map.of("trainingMode", "small"), null),
                new Variant("large-scale", fields("trainingMode", "large", "unlockBaseAt", Math.max(1, trainSteps / 2)), null));
    }

    /** Fields in the order given (Map.of's order changes from JVM to JVM; a workflow's replay must not). */
    private static Map<String, Object> fields(Object... namesAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }

    /** From JSON: unknown keys and values of the wrong type are problems, never dropped silently. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static StudyInput fromJson(Map<String, Object> json) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> given = json == null ? Map.of() : json;
        List<String> unknown = given.keySet().stream().filter(k -> !FIELDS.contains(k)).toList();
        if (!unknown.isEmpty()) {
            problems.add("unknown study field" + (unknown.size() > 1 ? "s " : " ") + unknown + "; known: " + FIELDS
                    + " (pipeline fields go in base, or in a variant's set)");
        }
        Map<String, Object> base = convert(given.get("base"), new TypeReference<>() {}, "base", "a JSON object (a pipeline input)", problems);
        List<Variant> variants = convert(given.get("variants"), new TypeReference<>() {}, "variants",
                "a list of {\"name\": ..., \"set\": {field: value}, \"seeds\": [..]}", problems);
        List<Long> seeds = convert(given.get("seeds"), new TypeReference<>() {}, "seeds", "a list of whole numbers", problems);
        Integer parallel = convert(given.get("parallelArms"), new TypeReference<>() {}, "parallelArms", "a whole number", problems);
        return new StudyInput(base, variants, seeds, parallel, problems);
    }

    private static <T> T convert(Object value, TypeReference<T> type, String field, String wanted, List<String> problems) {
        try {
            return value == null ? null : JSON.convertValue(value, type);
        } catch (IllegalArgumentException e) {
            problems.add(field + " " + value + ": must be " + wanted);
            return null;
        }
    }

    /** The base input as given: its defaults filled in, its problems kept. */
    @JsonIgnore
    public PipelineInput baseInput() {
        return PipelineInput.fromJson(base);
    }

    /** The seeds {@code v} runs with: its own, else the study's. */
    private List<Long> seedsOf(Variant v) {
        return v.seeds() == null ? seeds : v.seeds();
    }

    /** The run that prepares the dataset every arm trains on: the base, stopped after the condition stage. */
    PipelineInput preparation() {
        return PipelineInput.fromJson(PipelineInput.override(base, Map.of("stopAfter", "condition")));
    }

    /** Every arm, variant by variant, seed by seed; each arm's input trains on {@code dataset} (null: not prepared yet). */
    public List<Arm> arms(PreparedDataset dataset) {
        String baseName = baseInput().name();
        List<Arm> arms = new ArrayList<>();
        for (Variant v : variants) {
            for (long seed : seedsOf(v)) {
                String key = v.name() + "-s" + seed;
                Map<String, Object> fields = new LinkedHashMap<>(v.set());
                fields.put("name", baseName + "-" + key);
                fields.put("seed", seed);
                Map<String, Object> json = PipelineInput.override(base, fields);
                if (dataset != null) {
                    json.put("dataset", dataset);
                }
                arms.add(new Arm(key, v.name(), seed, PipelineInput.fromJson(json)));
            }
        }
        return arms;
    }

    /** Every problem with this study, each naming the variant or field; empty when valid. */
    public List<String> problems() {
        List<String> p = new ArrayList<>(inputProblems);
        PipelineInput in = baseInput();
        List<String> baseProblems = in.problems();
        baseProblems.forEach(problem -> p.add("base: " + problem));
        if (!in.stopAfter().isEmpty() || in.dataset() != null) {
            p.add("base: stopAfter and dataset are the study's to set (it prepares one dataset for all arms); leave them out");
        }
        if (variants.isEmpty()) {
            p.add("variants: give at least one, e.g. {\"name\": \"default\", \"set\": {}}");
        }
        Set<String> names = new HashSet<>();
        for (Variant v : variants) {
            if (v.name() == null || !v.name().matches("[a-z0-9][a-z0-9-]{0,30}")) {
                p.add("variant name '" + v.name() + "': use 1-31 lower-case letters, digits or '-', starting with a letter or digit");
            } else if (!names.add(v.name())) {
                p.add("variant name '" + v.name() + "' is given twice");
            }
            List<Long> own = seedsOf(v);
            if (own.isEmpty() || new HashSet<>(own).size() != own.size()) {
                p.add("variant " + v.name() + ": seeds " + own + " must be a non-empty list without repeats");
            }
            for (String field : PipelineInput.RUN_FIELDS) {
                if (v.set().containsKey(field)) {
                    p.add("variant " + v.name() + " sets " + field + ": the study sets it for each arm; leave it out");
                }
            }
        }
        if (!(parallelArms >= 1 && parallelArms <= 64)) {
            p.add("parallelArms " + parallelArms + ": must be in [1, 64]");
        }
        if (!p.isEmpty()) {
            return p; // the arms are built from a sound study only
        }
        List<Arm> arms = arms(null);
        if (arms.size() > MAX_ARMS) {
            p.add(arms.size() + " arms (variants x seeds): at most " + MAX_ARMS);
        }
        Set<String> armProblems = new java.util.LinkedHashSet<>(); // a variant's problem once, not once per seed
        for (Arm arm : arms) {
            arm.input().problems().forEach(problem -> armProblems.add("variant " + arm.variant() + ": " + problem));
        }
        p.addAll(armProblems);
        return p;
    }
}
