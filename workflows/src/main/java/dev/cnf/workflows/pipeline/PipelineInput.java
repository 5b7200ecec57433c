package dev.cnf.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.workflows.spec.AspectBuckets;
import dev.cnf.workflows.spec.CaptionSpec;
import dev.cnf.workflows.spec.ConditionSpec;
import dev.cnf.workflows.spec.DataSpec;
import dev.cnf.workflows.spec.EvaluationSpec;
import dev.cnf.workflows.spec.ModelSpec;
import dev.cnf.workflows.spec.PublishSpec;
import dev.cnf.workflows.spec.TrainingSpec;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a pipeline run can be told, as one typed spec per concern; each spec passes whole to the stages that read
 * it. Every field has a default, so {@code {}} is a valid input from the Temporal UI or `cnf run`.
 *
 * <p>JSON takes the nested form ({@code {"training": {"trainSteps": 100}}}) and the flat one ({@code {"trainSteps": 100}}),
 * which earlier scripts and DAGs use: a flat key names the spec field of the same name ({@link #FLAT_KEYS}), so no key is
 * ever renamed. Fields nobody knows and values of the wrong type are not dropped silently: {@link #problems} names
 * them, beside every other problem.
 *
 * @param name          model name: published under models/&lt;name&gt;/&lt;version&gt;/
 * @param seed          seeds data order, noise, timesteps, sampling and the conditions' randomness
 * @param stopAfter     "condition": prepare the dataset only (ingest to condition) and return it as the result's
 *                      {@code dataset}; "" runs every stage
 * @param dataset       a dataset another run prepared (its result's {@code dataset}): this run trains on it and skips
 *                      ingest to condition; null prepares its own
 * @param inputProblems what the JSON itself got wrong (unknown keys, values of the wrong type), reported by
 *                      {@link #problems}; not serialised
 */
public record PipelineInput(String name, Long seed, DataSpec data, ModelSpec model, CaptionSpec caption, ConditionSpec conditioning,
                            TrainingSpec training, EvaluationSpec evaluation, PublishSpec publish, String stopAfter,
                            PreparedDataset dataset, @JsonIgnore List<String> inputProblems) {
    /** The specs by their field name here. */
    private static final Map<String, Class<? extends Record>> SPECS = specs();
    /** Every flat key, and the spec whose field of that name it sets; "name" and "seed" are fields of the input itself. */
    public static final Map<String, String> FLAT_KEYS = flatKeys();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The fields of the run itself, outside the specs. */
    public static final List<String> RUN_FIELDS = List.of("name", "seed", "stopAfter", "dataset");
    public static final List<String> STOP_POINTS = List.of("", "condition");

    public PipelineInput {
        name = name == null || name.isBlank() ? "controlnet-canny" : name;
        seed = seed == null ? 42L : seed;
        data = data == null ? DataSpec.defaults() : data;
        model = model == null ? ModelSpec.defaults() : model;
        caption = caption == null ? CaptionSpec.defaults() : caption;
        conditioning = conditioning == null ? ConditionSpec.defaults() : conditioning;
        training = (training == null ? TrainingSpec.defaults() : training).forModel(model);
        evaluation = (evaluation == null ? EvaluationSpec.defaults() : evaluation).forModel(model);
        publish = publish == null ? PublishSpec.defaults() : publish;
        stopAfter = stopAfter == null ? "" : stopAfter.strip();
        inputProblems = inputProblems == null ? List.of() : List.copyOf(inputProblems);
    }

    /** All defaults; what {@code {}} deserialises to. */
    public static PipelineInput defaults() {
        return new PipelineInput(null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * From JSON in either form, or both mixed: each top-level key is a spec (an object), a flat key of {@link #FLAT_KEYS},
     * or unknown. A field given both flat and nested is a problem, as is an unknown key.
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static PipelineInput fromJson(Map<String, Object> json) {
        Map<String, Map<String, Object>> nested = new LinkedHashMap<>();
        SPECS.keySet().forEach(spec -> nested.put(spec, new LinkedHashMap<>()));
        Map<String, Object> top = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Object> e : (json == null ? Map.<String, Object>of() : json).entrySet()) {
            String key = e.getKey();
            if (SPECS.containsKey(key) && (e.getValue() instanceof Map<?, ?> || e.getValue() == null)) {
                if (e.getValue() instanceof Map<?, ?> fields) {
                    fields.forEach((field, value) -> put(nested.get(key), key, String.valueOf(field), value, key + ".", unknown));
                }
            } else if (TOP_FIELDS.containsKey(key)) {
                top.put(key, e.getValue());
            } else if (FLAT_KEYS.containsKey(key)) {
                put(nested.get(FLAT_KEYS.get(key)), FLAT_KEYS.get(key), key, e.getValue(), "", unknown);
            } else {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            List<String> known = new ArrayList<>(RUN_FIELDS);
            known.addAll(FLAT_KEYS.keySet().stream().sorted().toList());
            problems.add("unknown input field" + (unknown.size() > 1 ? "s " : " ") + unknown + "; known fields (flat, or nested in "
                    + SPECS.keySet() + "): " + known);
        }
        top.keySet().removeIf(field -> !convertible(TOP_FIELDS.get(field), field, top.get(field), problems));
        nested.forEach((spec, fields) -> fields.keySet().removeIf(field ->
                !convertible(componentOf(SPECS.get(spec), field), field, fields.get(field), problems)));
        return new PipelineInput(JSON.convertValue(top.get("name"), String.class), JSON.convertValue(top.get("seed"), Long.class),
                JSON.convertValue(nested.get("data"), DataSpec.class), JSON.convertValue(nested.get("model"), ModelSpec.class),
                JSON.convertValue(nested.get("caption"), CaptionSpec.class),
                JSON.convertValue(nested.get("conditioning"), ConditionSpec.class),
                JSON.convertValue(nested.get("training"), TrainingSpec.class),
                JSON.convertValue(nested.get("evaluation"), EvaluationSpec.class),
                JSON.convertValue(nested.get("publish"), PublishSpec.class), JSON.convertValue(top.get("stopAfter"), String.class),
                JSON.convertValue(top.get("dataset"), PreparedDataset.class), problems);
    }

    /** The record components of the input's own fields, by name. */
    private static final Map<String, RecordComponent> TOP_FIELDS = topFields();

    private static Map<String, RecordComponent> topFields() {
        Map<String, RecordComponent> fields = new LinkedHashMap<>();
        RUN_FIELDS.forEach(f -> fields.put(f, componentOf(PipelineInput.class, f)));
        return fields;
    }

    private static RecordComponent componentOf(Class<?> record, String field) {
        return Arrays.stream(record.getRecordComponents()).filter(c -> c.getName().equals(field)).findFirst().orElseThrow();
    }

    /** Whether the value fits the field's type; if not, a problem naming field, value and the type wanted. */
    private static boolean convertible(RecordComponent field, String name, Object value, List<String> problems) {
        try {
            JSON.convertValue(value, JSON.constructType(field.getGenericType()));
            return true;
        } catch (IllegalArgumentException e) {
            Class<?> type = field.getType();
            String wanted = type == Integer.class || type == Long.class ? "a whole number" : type == Double.class ? "a number"
                    : type == Boolean.class ? "true or false" : type == List.class ? "a list of strings" : "a string";
            String shown = value instanceof String text ? "'" + text + "'" : String.valueOf(value);
            problems.add(name + " " + shown + ": must be " + wanted);
            return false;
        }
    }

    private static void put(Map<String, Object> spec, String specName, String field, Object value, String shownAs, List<String> unknown) {
        if (!FLAT_KEYS.containsKey(field) || !FLAT_KEYS.get(field).equals(specName)) {
            unknown.add(shownAs + field);
        } else if (spec.containsKey(field)) {
            unknown.add(field + " (given twice: flat and in " + specName + ")");
        } else {
            spec.put(field, value);
        }
    }

    private static Map<String, Class<? extends Record>> specs() {
        Map<String, Class<? extends Record>> specs = new LinkedHashMap<>();
        for (RecordComponent c : PipelineInput.class.getRecordComponents()) {
            if (c.getType().isRecord() && c.getType().getPackage() == DataSpec.class.getPackage()) {
                @SuppressWarnings("unchecked")
                Class<? extends Record> type = (Class<? extends Record>) c.getType();
                specs.put(c.getName(), type);
            }
        }
        return specs;
    }

    private static Map<String, String> flatKeys() {
        Map<String, String> keys = new LinkedHashMap<>();
        SPECS.forEach((spec, type) -> Arrays.stream(type.getRecordComponents()).forEach(c -> {
            String previous = keys.put(c.getName(), spec);
            if (previous != null) {
                throw new IllegalStateException("flat key " + c.getName() + " is a field of both " + previous + " and " + spec);
            }
        }));
        return Map.copyOf(keys);
    }

    /** Every problem with this input, each naming the field, its value and what is allowed; empty when valid. */
    public List<String> problems() {
        List<String> p = new ArrayList<>(inputProblems);
        if (!name.matches("[a-z0-9][a-z0-9._-]{0,62}")) {
            p.add("name '" + name + "': use 1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        data.addProblems(p);
        model.addProblems(p);
        AspectBuckets.addProblems(p, data, model);
        if (data.aspectBuckets() && !evaluation.composeWith().isEmpty()) {
            p.add("composeWith with aspectBuckets: composition samples at the square resolution; drop one of them");
        }
        caption.addProblems(p);
        conditioning.addProblems(p, data.paired());
        training.addProblems(p);
        evaluation.addProblems(p);
        publish.addProblems(p);
        if (evaluation.selectsBest() && training.evalEvery() == 0) {
            p.add("selectCheckpoint best: chooses among the checkpoints evaluated during training; set evalEvery (e.g. "
                    + Math.max(1, training.trainSteps() / 4) + ")");
        }
        if (evaluation.selectsBest() && training.large()) {
            p.add("selectCheckpoint best: trainingMode large also trains the base UNet, of which only the last step's is kept; use last");
        }
        if (!STOP_POINTS.contains(stopAfter)) {
            p.add("stopAfter '" + stopAfter + "': must be \"condition\" (prepare the dataset only) or empty (run every stage)");
        }
        if (dataset != null && !stopAfter.isEmpty()) {
            p.add("stopAfter " + stopAfter + " with a dataset: the dataset is prepared already; drop one");
        }
        if (dataset != null) {
            dataset.addProblems(p, model.resolution(), conditioning.condition());
        }
        if (training.large() && !model.precision().equals("fp32") && ModelSpec.PRECISIONS.contains(model.precision())) {
            p.add("precision " + model.precision() + ": trainingMode large trains the base UNet, whose weights stay float32; use fp32");
        }
        return p;
    }

    /** Prepares the dataset only. */
    public boolean stopsAfterCondition() {
        return stopAfter.equals("condition");
    }

    /**
     * The input JSON {@code json} (either form) with {@code fields} set over it: each field, flat or {@code spec.field},
     * replaces the value it names wherever {@code json} gave it (flat or nested). Unknown fields stay, for
     * {@link #problems} to name.
     */
    public static Map<String, Object> override(Map<String, Object> json, Map<String, Object> fields) {
        Map<String, Object> out = new LinkedHashMap<>();
        (json == null ? Map.<String, Object>of() : json).forEach((k, v) -> out.put(k, v instanceof Map<?, ?> m ? new LinkedHashMap<>(m) : v));
        for (Map.Entry<String, Object> e : (fields == null ? Map.<String, Object>of() : fields).entrySet()) {
            String[] path = e.getKey().split("\\.", 2);
            if (path.length == 2 && !SPECS.containsKey(path[0])) {
                out.put(e.getKey(), e.getValue()); // no spec of that name: problems() names it
                continue;
            }
            String field = path[path.length - 1];
            String spec = path.length == 2 ? path[0] : FLAT_KEYS.get(field);
            out.remove(field);
            if (spec != null && out.get(spec) instanceof Map<?, ?> nested) {
                nested.remove(field);
            }
            out.put(field, e.getValue());
        }
        return out;
    }
}
