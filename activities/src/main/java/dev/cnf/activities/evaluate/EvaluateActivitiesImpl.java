package dev.cnf.activities.evaluate;

import dev.cnf.activities.report.LineChart;
import ai.djl.ndarray.NDManager;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.imaging.EdgeProbe;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.metrics.TrainingLogRow;
import dev.cnf.activities.registry.ModelRegistry;
import dev.cnf.activities.registry.RunKeys;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.models.BaseModels;
import dev.cnf.activities.models.WeightObjects;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.BaseModel;
import dev.cnf.model.train.Precision;
import dev.cnf.workflows.spec.DataSpec;
import dev.cnf.workflows.spec.EvaluationSpec;
import dev.cnf.workflows.spec.TrainingSpec;
import dev.cnf.activities.imaging.ImageDecoder;
import dev.cnf.activities.storage.Locations;
import io.temporal.failure.ApplicationFailure;
import dev.cnf.workflows.stages.EvaluateActivities;
import io.temporal.activity.Activity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Samples with DDIM + classifier-free guidance from the trained ControlNet in each prompt mode and,
 * as the floor, with control scale 0; re-extracts Canny edges from each sample and scores them
 * against the input condition (edge F1 with 1 px tolerance, edge SSIM). Writes metrics.json and a
 * self-contained report.html that compares with the model's current latest version.
 */
public class EvaluateActivitiesImpl implements EvaluateActivities {
    private final ObjectStore store;

    public EvaluateActivitiesImpl(ObjectStore store) {
        OpenCv.load();
        this.store = store;
    }

    /** The paper's prompt modes in report order, then cnf's "composed" (with {@code composeWith}). */
    static final List<String> MODES = List.of("none", "default", "automatic", "user", "composed");

    /**
     * The held-out conditions being sampled, decoded, with their captions and each one's {width, height} (the square at
     * the resolution, or an aspect bucket's size); {@code size} is the resolution the base is loaded at.
     */
    private record HeldOutSet(List<Sample> samples, List<float[]> conditions, List<String> captions, List<int[]> sizes, int size) {
        int count() {
            return samples.size();
        }

        int width(int i) {
            return sizes.get(i)[0];
        }

        int height(int i) {
            return sizes.get(i)[1];
        }

        /** The samples' indices by size, in the order the sizes first appear: one sampling batch each. */
        Collection<List<Integer>> bySize() {
            Map<String, List<Integer>> groups = new LinkedHashMap<>();
            for (int i = 0; i < count(); i++) {
                groups.computeIfAbsent(width(i) + "x" + height(i), k -> new ArrayList<>()).add(i);
            }
            return groups.values();
        }
    }

    /**
     * {@code conditions} (one per held-out sample) sampled a batch per size, each at its size, back in the held-out order:
     * one batch of all when they share one size.
     */
    private static List<float[]> sampleBySize(ControlNetSampler sampler, NDManager manager, HeldOutSet held, List<String> prompts,
                                              List<float[]> conditions, ControlNetSampler.Settings s) {
        float[][] out = new float[held.count()][];
        for (List<Integer> group : held.bySize()) {
            List<float[]> got = sampler.sample(manager, group.stream().map(prompts::get).toList(), group.stream().map(conditions::get).toList(),
                    held.width(group.get(0)), held.height(group.get(0)), s);
            for (int k = 0; k < group.size(); k++) {
                out[group.get(k)] = got.get(k);
            }
        }
        return Arrays.asList(out);
    }

    /** Samples per prompt mode, the floor (the captions without control), and one per validation pair. */
    private record Sampled(Map<String, List<float[]>> byMode, List<float[]> floor, List<float[]> validation) {}

    /** The user's validation pairs ({@code validationImages}), their conditions decoded at the held-out size. */
    private record ValidationSet(List<EvaluationSpec.Validation> pairs, List<float[]> conditions, List<byte[]> conditionPngs) {}

    /** Sampled at most this many at once: a validation set may be larger than the held-out batch. */
    private static final int VALIDATION_BATCH = 8;

    /** An annotator's metric (depth RMSE, seg mIoU) per prompt mode and for the floor; empty without an annotator. */
    private record AnnotatorScores(Map<String, Map<String, Double>> byMode, Map<String, Double> floor) {}

    /**
     * @param byMode    mean scores per prompt mode and metric (edgeF1, edgeSSIM, and an annotator's metric)
     * @param annotatorFloor the annotator's metric without control, when the condition has an annotator
     * @param perSample per held-out sample, its scores (metrics.json)
     * @param rows      per held-out sample, the report's grid row
     */
    private record Scored(Map<String, Map<String, Double>> byMode, Map<String, Double> annotatorFloor, double edgeF1NoControl,
                          List<Map<String, Object>> perSample, List<ReportPage.Row> rows) {
        /** The promotion gate's measure: edge F1 with each sample's own caption. */
        double edgeF1() {
            return byMode.get("automatic").get("edgeF1");
        }
    }

    /**
     * Each sample as a PNG file too, for reuse and for reproducing it with {@code cnf generate}:
     * {@code samples/<mode>/<id>.png}, the floor as mode {@code no-control}, the condition as {@code samples/condition/<id>.png};
     * the bytes of the report's grid rows (prompt modes in order, then the floor), not encoded again.
     */
    private void storeSamples(String out, HeldOutSet held, Sampled sampled, Scored scored) {
        List<String> modes = new ArrayList<>(sampled.byMode().keySet());
        modes.add("no-control");
        for (int i = 0; i < held.count(); i++) {
            String id = held.samples().get(i).id();
            ReportPage.Row row = scored.rows().get(i);
            store.put(RunKeys.evaluationSample(out, "condition", id), row.conditionPng(), "image/png");
            for (int k = 0; k < modes.size(); k++) {
                store.put(RunKeys.evaluationSample(out, modes.get(k), id), row.images().get(k), "image/png");
            }
        }
    }

    /**
     * The validation conditions, read from their locations and checked as imported conditions are, then resized and
     * cropped to the held-out size as a dataset's are.
     */
    private ValidationSet validation(Request r, int size) {
        List<EvaluationSpec.Validation> pairs = r.evaluation().validations(r.caption().defaultPrompt());
        List<float[]> conditions = new ArrayList<>();
        List<byte[]> pngs = new ArrayList<>();
        for (EvaluationSpec.Validation v : pairs) {
            byte[] bytes;
            try {
                bytes = Locations.read(v.condition(), store);
            } catch (RuntimeException e) {
                throw ApplicationFailure.newNonRetryableFailure("validationImages '" + v.condition() + "': " + e.getMessage(), "InvalidInput");
            }
            ImageDecoder.Decoded d = ImageDecoder.decodeCondition(bytes, DataSpec.DEFAULT_MAX_PIXELS); // the data's default limit: the request carries no DataSpec
            if (!d.ok()) {
                throw ApplicationFailure.newNonRetryableFailure("validationImages '" + v.condition() + "': " + d.failure() + ", " + d.detail(),
                        "InvalidInput");
            }
            org.opencv.core.Mat square = OpenCv.resizeCenterCrop(d.bgr(), size);
            conditions.add(OpenCv.toChw(square, 0f, 1f));
            pngs.add(OpenCv.encodePng(square));
        }
        return new ValidationSet(pairs, conditions, pngs);
    }

    /** Per validation pair, its report row (prompt, condition, the controlled sample) and the sample's edge F1 against it. */
    private record Validated(List<ReportPage.Row> rows, List<Double> edgeF1) {}

    private static Validated validated(ValidationSet validation, Sampled sampled, int size) {
        List<ReportPage.Row> rows = new ArrayList<>();
        List<Double> f1s = new ArrayList<>();
        for (int i = 0; i < validation.pairs().size(); i++) {
            float[] sample = sampled.validation().get(i);
            double f1 = EdgeProbe.f1(sample, validation.conditions().get(i), size);
            f1s.add(f1);
            rows.add(new ReportPage.Row(validation.pairs().get(i).prompt(), validation.conditionPngs().get(i), List.of(png(sample, size)),
                    List.of(String.format("F1 %.2f", f1))));
        }
        return new Validated(rows, f1s);
    }

    /**
     * The validation samples beside the held-out ones ({@code samples/validation/<nn>.png}, their conditions as
     * {@code samples/validation-condition/<nn>.png}); the metrics' rows for them.
     */
    private List<Map<String, Object>> storeValidation(String out, ValidationSet validation, Validated validated) {
        List<ReportPage.Row> rows = validated.rows();
        List<Map<String, Object>> listed = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            String id = String.format("%02d", i);
            String sampleKey = RunKeys.evaluationSample(out, "validation", id);
            store.put(RunKeys.evaluationSample(out, "validation-condition", id), rows.get(i).conditionPng(), "image/png");
            store.put(sampleKey, rows.get(i).images().get(0), "image/png");
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("image", validation.pairs().get(i).condition());
            m.put("prompt", validation.pairs().get(i).prompt());
            m.put("edgeF1", validated.edgeF1().get(i));
            m.put("sample", sampleKey);
            listed.add(m);
        }
        return listed;
    }

    private static byte[] png(float[] image, int size) {
        return png(image, size, size);
    }

    private static byte[] png(float[] image, int width, int height) {
        return OpenCv.encodePng(OpenCv.fromChw(image, width, height, -1f, 1f));
    }

    @Override
    public Result evaluate(Request r) {
        HeldOutSet held = heldOut(r);
        ValidationSet validation = validation(r, held.size());
        Composition composition = Composition.of(r, store);
        Map<String, List<String>> prompts = prompts(r, held, composition);
        Sampled sampled = sample(r, held, prompts, composition, validation);
        Scored scored = score(held, sampled, annotatorScores(r, held, sampled));
        Validated validated = validated(validation, sampled, held.size());
        List<Map<String, Object>> duringTraining = duringTraining(r);
        String out = r.run().prefix() + "/evaluate/" + (r.atStep() == null ? "" : String.format("step-%08d/", r.atStep()));
        String metricsKey = out + "metrics.json";
        Map<String, Object> metrics = metrics(r, held, prompts, scored, duringTraining, composition);
        if (!validated.rows().isEmpty()) {
            metrics.put("validation", storeValidation(out, validation, validated));
        }
        store.put(metricsKey, Json.bytes(metrics), "application/json");
        storeSamples(out, held, sampled, scored);
        String reportKey = out + "report.html";
        store.put(reportKey, report(r, held, prompts, scored, duringTraining, composition, validated.rows()).getBytes(StandardCharsets.UTF_8),
                "text/html; charset=utf-8");
        String kept = null;
        if (r.atStep() != null && r.evaluation().selectsBest()) { // the next training segment overwrites the weights evaluated here
            kept = out + "controlnet.safetensors";
            store.copy(r.trained().weightsKey(), kept);
        }
        return new Result(reportKey, metricsKey, held.count(), scored.edgeF1(), scored.edgeF1NoControl(), kept);
    }

    private HeldOutSet heldOut(Request r) {
        List<Sample> chosen = SampleTables.tail(store, r.split().samplesKey(), r.split().heldOutFrom(), r.split().size());
        List<float[]> conditions = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        List<int[]> sizes = new ArrayList<>();
        for (Sample s : chosen) {
            org.opencv.core.Mat condition = OpenCv.decodeBgr(store.get(s.conditionKey()));
            conditions.add(OpenCv.toChw(condition, 0f, 1f));
            sizes.add(new int[] {condition.cols(), condition.rows()});
            condition.release();
            captions.add(s.caption());
        }
        return new HeldOutSet(chosen, conditions, captions, sizes, r.model().resolution());
    }

    /** Each prompt mode's prompts, one per held-out sample; "user" only with a user prompt. */
    private static Map<String, List<String>> prompts(Request r, HeldOutSet held, Composition composition) {
        Map<String, List<String>> prompts = new LinkedHashMap<>();
        String user = r.evaluation().userPrompt();
        for (String mode : MODES) {
            switch (mode) {
                case "none" -> prompts.put(mode, Collections.nCopies(held.count(), ""));
                case "default" -> prompts.put(mode, Collections.nCopies(held.count(), r.caption().defaultPrompt()));
                case "automatic" -> prompts.put(mode, held.captions());
                case "composed" -> {
                    if (composition.any()) { // automatic prompts, with the composed ControlNets in the loop
                        prompts.put(mode, held.captions());
                    }
                }
                default -> {
                    if (!user.isBlank()) {
                        prompts.put(mode, Collections.nCopies(held.count(), user));
                    }
                }
            }
        }
        return prompts;
    }

    private Sampled sample(Request r, HeldOutSet held, Map<String, List<String>> prompts, Composition composition, ValidationSet validation) {
        Map<String, List<float[]>> samples = new LinkedHashMap<>();
        Precision precision = BaseModels.precision(r.model().precision()); // refused before the base is loaded
        float guidance = r.evaluation().guidanceScale().floatValue();
        long seed = r.run().seed();
        int steps = r.evaluation().evalSteps();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BaseModel base = BaseModels.load(r.model().baseModel(), r.model().modelConfig(), held.size(), store, manager).model()
                    .withHintEncoder(r.model().hintEncoder());
            if (r.trained().baseUnetKey() != null) { // large mode: the base UNet was trained jointly with the ControlNet
                Weights.load(base.unet(), WeightObjects.get(store, r.trained().baseUnetKey())); // an SD UNet is 3.4 GB: through a file
            }
            ControlNet cn = base.newControlNet(manager, seed);
            Weights.load(cn, WeightObjects.get(store, r.trained().weightsKey()));
            base.castTo(precision.dataType()); // sample as training ran; the ControlNet stays float32
            ControlNetSampler sampler = new ControlNetSampler(base, cn);
            ControlNetSampler.Settings controlled = new ControlNetSampler.Settings(steps, guidance,
                    r.evaluation().controlScale().floatValue(), seed);
            for (Map.Entry<String, List<String>> mode : prompts.entrySet()) {
                Activity.getExecutionContext().heartbeat("sampling, prompt mode " + mode.getKey());
                if (mode.getKey().equals("composed")) {
                    if (held.bySize().size() > 1) {
                        throw ApplicationFailure.newNonRetryableFailure("composeWith composes at the square resolution; this dataset is in"
                                + " aspect buckets: evaluate it without composeWith", "InvalidInput");
                    }
                    List<ControlNetSampler.Control> controls = new ArrayList<>(List.of(new ControlNetSampler.Control(cn, held.conditions(),
                            r.evaluation().controlScale().floatValue())));
                    controls.addAll(composition.controls(seed, held.samples(), held.size(), base, manager, store));
                    samples.put(mode.getKey(), sampler.sampleControlled(manager, mode.getValue(), controls, controlled));
                } else {
                    samples.put(mode.getKey(), sampleBySize(sampler, manager, held, mode.getValue(), held.conditions(), controlled));
                }
            }
            Activity.getExecutionContext().heartbeat("sampling the floor (no control)");
            List<float[]> floor = sampleBySize(sampler, manager, held, held.captions(), held.conditions(),
                    new ControlNetSampler.Settings(steps, guidance, 0f, seed));
            List<float[]> validated = new ArrayList<>();
            for (int from = 0; from < validation.pairs().size(); from += VALIDATION_BATCH) {
                Activity.getExecutionContext().heartbeat("sampling the validation images from " + from);
                int to = Math.min(validation.pairs().size(), from + VALIDATION_BATCH);
                validated.addAll(sampler.sample(manager, validation.pairs().subList(from, to).stream().map(EvaluationSpec.Validation::prompt).toList(),
                        validation.conditions().subList(from, to), controlled));
            }
            return new Sampled(samples, floor, validated);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * With an annotator model (depth, seg), the condition re-extracted from each sample and scored against the input:
     * the means per prompt mode and the floor's.
     */
    private AnnotatorScores annotatorScores(Request r, HeldOutSet held, Sampled sampled) {
        Map<String, Map<String, Double>> byMode = new LinkedHashMap<>();
        Map<String, Double> floor = new LinkedHashMap<>();
        try (AnnotatorProbe probe = AnnotatorProbe.forCondition(r.conditioning().condition(), r.conditioning().annotatorModel(), store)) {
            if (probe != null) {
                Activity.getExecutionContext().heartbeat("re-extracting " + r.conditioning().condition() + " from the samples");
                int n = held.count();
                for (int i = 0; i < n; i++) {
                    for (Map.Entry<String, List<float[]>> e : sampled.byMode().entrySet()) {
                        byMode.computeIfAbsent(e.getKey(), k -> new LinkedHashMap<>())
                                .merge(probe.metric(), probe.score(e.getValue().get(i), held.conditions().get(i), held.width(i), held.height(i)) / n, Double::sum);
                    }
                    floor.merge(probe.metric(), probe.score(sampled.floor().get(i), held.conditions().get(i), held.width(i), held.height(i)) / n, Double::sum);
                }
            }
        }
        return new AnnotatorScores(byMode, floor);
    }

    /** Edge F1 and SSIM of every sample against its condition (Canny re-extracted), beside the annotator's scores. */
    private Scored score(HeldOutSet held, Sampled sampled, AnnotatorScores annotator) {
        Map<String, Map<String, Double>> scores = annotator.byMode();
        List<Map<String, Object>> perSample = new ArrayList<>();
        List<ReportPage.Row> rows = new ArrayList<>();
        double floorSum = 0;
        int n = held.count();
        for (int i = 0; i < n; i++) {
            Sample s = held.samples().get(i);
            float[] condition = held.conditions().get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", s.id());
            m.put("caption", s.caption());
            List<byte[]> images = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            for (Map.Entry<String, List<float[]>> e : sampled.byMode().entrySet()) {
                float[] img = e.getValue().get(i);
                EdgeProbe.Scores edge = EdgeProbe.scores(img, condition, held.width(i), held.height(i));
                Map<String, Double> sums = scores.computeIfAbsent(e.getKey(), k -> new LinkedHashMap<>());
                sums.merge("edgeF1", edge.f1() / n, Double::sum);
                sums.merge("edgeSSIM", edge.ssim() / n, Double::sum);
                m.put("edgeF1." + e.getKey(), edge.f1());
                m.put("edgeSSIM." + e.getKey(), edge.ssim());
                images.add(png(img, held.width(i), held.height(i)));
                labels.add(String.format("F1 %.2f", edge.f1()));
            }
            double f1Floor = EdgeProbe.f1(sampled.floor().get(i), condition, held.width(i), held.height(i));
            floorSum += f1Floor;
            m.put("edgeF1.noControl", f1Floor);
            images.add(png(sampled.floor().get(i), held.width(i), held.height(i)));
            labels.add(String.format("F1 %.2f", f1Floor));
            images.add(store.get(s.imageKey()));
            labels.add("");
            rows.add(new ReportPage.Row(s.caption(), store.get(s.conditionKey()), images, labels));
            perSample.add(m);
        }
        return new Scored(scores, annotator.floor(), floorSum / n, perSample, rows);
    }

    /** The earlier evaluations during training that the final one lists: step, headline numbers and where their metrics are. */
    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> duringTraining(Request r) {
        List<Map<String, Object>> duringTraining = new ArrayList<>();
        for (String key : r.duringTrainingKeys() == null ? List.<String>of() : r.duringTrainingKeys()) {
            Map<String, Object> earlier = Json.read(store.get(key), Map.class);
            Map<String, Object> row = new LinkedHashMap<>();
            for (String field : List.of("atStep", "edgeF1", "edgeF1NoControl", "depthRMSE", "segMIoU")) {
                if (earlier.get(field) != null) {
                    row.put(field, earlier.get(field));
                }
            }
            row.put("metrics", key);
            duringTraining.add(row);
        }
        return duringTraining;
    }

    private static Map<String, Object> metrics(Request r, HeldOutSet held, Map<String, List<String>> prompts, Scored scored,
                                               List<Map<String, Object>> duringTraining, Composition composition) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("samples", held.count());
        metrics.put("ddimSteps", r.evaluation().evalSteps());
        metrics.put("guidanceScale", r.evaluation().guidanceScale());
        metrics.put("controlScale", r.evaluation().controlScale());
        metrics.put("seed", r.run().seed());
        metrics.put("edgeF1", scored.edgeF1());
        metrics.put("edgeSSIM", scored.byMode().get("automatic").get("edgeSSIM"));
        metrics.put("edgeF1NoControl", scored.edgeF1NoControl());
        scored.annotatorFloor().forEach((metric, floorValue) -> {
            metrics.put(metric, scored.byMode().get("automatic").get(metric));
            metrics.put(metric + "NoControl", floorValue);
        });
        metrics.put("promptModes", scored.byMode());
        Map<String, String> modePrompts = new LinkedHashMap<>();
        prompts.forEach((k, v) -> modePrompts.put(k, k.equals("automatic") ? "(each sample's caption)" : v.get(0)));
        metrics.put("prompts", modePrompts);
        metrics.put("perSample", scored.perSample());
        if (composition.any()) {
            metrics.put("composedWith", composition.labels());
        }
        if (r.atStep() != null) {
            metrics.put("atStep", r.atStep());
        }
        if (!duringTraining.isEmpty()) {
            metrics.put("duringTraining", duringTraining);
        }
        return metrics;
    }

    /**
     * The training log as the report's curves: the probe's edge F1 with its standard error over the held-out samples,
     * and the steps skipped as non-finite (as marks and as lines for the summary).
     */
    private record TrainingCurves(List<double[]> losses, List<double[]> gains, List<double[]> probes, List<Double> probeErrors,
                                  List<Double> skippedSteps, List<String> skipped) {}

    private TrainingCurves trainingCurves(Request r) {
        TrainingCurves curves = new TrainingCurves(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>(), new ArrayList<>());
        for (TrainingLogRow row : Json.readLines(store.get(r.trained().metricsKey()), TrainingLogRow.class)) {
            if (row instanceof TrainingLogRow.Probe p) {
                curves.gains().add(new double[] {p.step(), p.conditionGain()});
                curves.probes().add(new double[] {p.step(), p.edgeF1()});
                curves.probeErrors().add(p.edgeF1StdErr() == null ? 0 : p.edgeF1StdErr());
            } else if (row instanceof TrainingLogRow.Step s) {
                curves.losses().add(new double[] {s.step(), s.loss()});
                if (s.skipped()) {
                    curves.skippedSteps().add((double) s.step());
                    curves.skipped().add("step " + s.step() + (s.skipReason() == null ? "" : ": " + s.skipReason()));
                }
            } // the other rows mark events, not measurements
        }
        return curves;
    }

    @SuppressWarnings("unchecked")
    private String report(Request r, HeldOutSet held, Map<String, List<String>> prompts, Scored scored,
                          List<Map<String, Object>> duringTraining, Composition composition, List<ReportPage.Row> validation) {
        TrainingCurves curves = trainingCurves(r);
        ModelRegistry registry = new ModelRegistry(store);
        Optional<String> previous = registry.latestVersion(r.run().name());
        Map<String, Object> previousMetrics = previous.map(v -> registry.metrics(r.run().name(), v)).orElse(Map.of());
        Map<String, Object> clean = Json.read(store.get(r.cleanReportKey()), Map.class);
        List<String> columns = new ArrayList<>();
        prompts.keySet().forEach(mode -> columns.add("prompt: " + mode + (mode.equals("automatic") ? " (caption)" : "")));
        columns.add("no control, caption (floor)");
        columns.add("original");
        return ReportPage.render("ControlNet evaluation: " + r.run().name() + (r.atStep() == null ? "" : " at step " + r.atStep()),
                summary(r, held, prompts, curves, clean, composition), (Map<String, Integer>) clean.get("dropped"),
                List.of(new LineChart.Curve("training loss: raw (faded) and smoothed (EMA); red marks: steps skipped as non-finite",
                                curves.losses(), "#1f77b4", List.of(), curves.skippedSteps(), true),
                        new LineChart.Curve("condition gain: L(no condition) − L(condition), held-out", curves.gains(), "#2ca02c"),
                        new LineChart.Curve("controllability probe: edge F1 of 10-step samples, held-out, with its 95% band over the samples",
                                curves.probes(), "#d62728", curves.probeErrors(), List.of(), false)),
                r.trained().convergedStep(), comparison(scored, duringTraining, previousMetrics), previous.orElse(null), columns,
                scored.rows(), validation);
    }

    /** This evaluation beside the current latest version's, metric by metric (null where that version lacks one). */
    private static List<ReportPage.Comparison> comparison(Scored scored, List<Map<String, Object>> duringTraining,
                                                          Map<String, Object> previousMetrics) {
        Map<String, Map<String, Double>> byMode = scored.byMode();
        List<ReportPage.Comparison> comparison = new ArrayList<>();
        comparison.add(new ReportPage.Comparison("edge F1, automatic prompts (promotion gate)", scored.edgeF1(),
                previousNumber(previousMetrics, "edgeF1")));
        comparison.add(new ReportPage.Comparison("edge SSIM, automatic prompts", byMode.get("automatic").get("edgeSSIM"),
                previousNumber(previousMetrics, "edgeSSIM")));
        comparison.add(new ReportPage.Comparison("edge F1, no control (floor)", scored.edgeF1NoControl(),
                previousNumber(previousMetrics, "edgeF1NoControl")));
        scored.annotatorFloor().forEach((metric, floorValue) -> {
            String label = metric.equals("depthRMSE") ? "depth RMSE (0-255, lower is better)" : "segmentation mIoU";
            comparison.add(new ReportPage.Comparison(label + ", automatic prompts", byMode.get("automatic").get(metric),
                    previousNumber(previousMetrics, metric)));
            comparison.add(new ReportPage.Comparison(label + ", no control (floor)", floorValue, previousNumber(previousMetrics, metric + "NoControl")));
        });
        for (Map<String, Object> earlier : duringTraining) {
            comparison.add(new ReportPage.Comparison("edge F1, automatic prompts, at step " + earlier.get("atStep") + " (during training)",
                    Json.number(earlier.get("edgeF1")), null));
        }
        for (String mode : byMode.keySet()) {
            Object prevModes = previousMetrics.get("promptModes");
            Double prev = prevModes instanceof Map<?, ?> pm && pm.get(mode) instanceof Map<?, ?> mm && mm.get("edgeF1") != null
                    ? Json.number(mm.get("edgeF1")) : null;
            comparison.add(new ReportPage.Comparison("edge F1, prompt mode " + mode, byMode.get(mode).get("edgeF1"), prev));
        }
        return comparison;
    }

    private static Map<String, Object> summary(Request r, HeldOutSet held, Map<String, List<String>> prompts, TrainingCurves curves,
                                               Map<String, Object> clean, Composition composition) {
        List<double[]> losses = curves.losses();
        List<String> skipped = curves.skipped();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("model", r.run().name());
        summary.put("model config", r.model().modelConfig());
        summary.put("images seen / kept", clean.get("seen") + " / " + clean.get("kept"));
        summary.put("training steps", losses.size());
        summary.put("final loss", losses.isEmpty() ? "n/a" : String.format("%.4f", losses.get(losses.size() - 1)[1]));
        summary.put("sudden convergence", r.trained().convergedStep() == null ? "not detected" : "step " + r.trained().convergedStep());
        summary.put("steps skipped as non-finite", skipped.isEmpty() ? "none" : skipped.size() + " (" + String.join("; ", skipped) + ")");
        TrainingSpec t = r.training();
        summary.put("hyperparameters", String.format("learning rate %s, batch %d, resolution %d, %d steps asked, precision %s, mode %s%s",
                t.learningRate(), t.batchSize(), r.model().resolution(), t.trainSteps(), r.model().precision(), t.trainingMode(),
                t.large() ? " (base UNet from step " + t.unlockBaseAt() + ", learning rate " + t.baseLearningRate() + ")" : ""));
        summary.put("held-out samples", held.count() + " (never trained on)");
        summary.put("sampler", "DDIM " + r.evaluation().evalSteps() + " steps, CFG " + r.evaluation().guidanceScale() + ", control scale "
                + r.evaluation().controlScale() + ", seed " + r.run().seed());
        summary.put("prompt modes", String.join(", ", prompts.keySet()) + (r.evaluation().userPrompt().isBlank() ? " (no user prompt given)" : ""));
        summary.put("base model", r.model().baseModel());
        if (composition.any()) {
            summary.put("composed (prompt mode composed)", "this ControlNet with " + String.join(", ", composition.labels())
                    + ", residuals summed as diffusers' MultiControlNetModel; each fed its own condition from the held-out images");
        }
        if (r.model().tiny()) {
            summary.put("note", "tiny preset: a small pixel-space base trained on synthetic circles; a space-to-depth codec and a hashed"
                    + " text encoder stand in for SD1.5's VAE and CLIP");
        }
        if (r.atStep() != null) {
            summary.put("evaluated", "the checkpoint at step " + r.atStep() + ", during training");
        }
        return summary;
    }

    private static Double previousNumber(Map<String, Object> metrics, String key) {
        return metrics.get(key) == null ? null : Json.number(metrics.get(key));
    }
}
