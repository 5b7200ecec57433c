package dev.cnf.activities.evaluate;

import ai.djl.ndarray.NDManager;
import dev.cnf.activities.dataset.HeldOut;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.imaging.EdgeProbe;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.registry.ModelRegistry;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.models.BaseModels;
import dev.cnf.activities.models.WeightObjects;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.BaseModel;
import dev.cnf.model.train.Precision;
import dev.cnf.workflows.stages.EvaluateActivities;
import io.temporal.activity.Activity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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

    /** Metrics JSON writes non-finite values as strings ("NaN"); read both forms. */
    private static double number(Object v) {
        return Double.parseDouble(String.valueOf(v));
    }

    /** The paper's prompt modes, in report order. */
    static final List<String> MODES = List.of("none", "default", "automatic", "user");

    @Override
    @SuppressWarnings("unchecked")
    public Result evaluate(Request r) {
        List<Sample> chosen = HeldOut.split(SampleTables.read(store, r.samplesKey()), r.samples()).heldOut();
        List<float[]> conditions = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        for (Sample s : chosen) {
            conditions.add(OpenCv.toChw(OpenCv.decodeBgr(store.get(s.conditionKey())), 0f, 1f));
            captions.add(s.caption());
        }
        int size = (int) Math.round(Math.sqrt(conditions.get(0).length / 3.0)); // square CHW, 3 channels
        Map<String, List<String>> prompts = new LinkedHashMap<>();
        for (String mode : MODES) {
            switch (mode) {
                case "none" -> prompts.put(mode, Collections.nCopies(chosen.size(), ""));
                case "default" -> prompts.put(mode, Collections.nCopies(chosen.size(), r.defaultPrompt()));
                case "automatic" -> prompts.put(mode, captions);
                default -> {
                    if (!r.userPrompt().isBlank()) {
                        prompts.put(mode, Collections.nCopies(chosen.size(), r.userPrompt()));
                    }
                }
            }
        }
        Map<String, List<float[]>> samples = new LinkedHashMap<>();
        List<float[]> floor;
        Precision precision = BaseModels.precision(r.precision()); // refused before the base is loaded
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BaseModel base = BaseModels.load(r.baseModel(), r.modelConfig(), size, store, manager).model();
            if (r.baseUnetKey() != null) { // large mode: the base UNet was trained jointly with the ControlNet
                Weights.load(base.unet(), WeightObjects.get(store, r.baseUnetKey())); // an SD UNet is 3.4 GB: through a file
            }
            ControlNet cn = base.newControlNet(manager, r.seed());
            Weights.load(cn, WeightObjects.get(store, r.weightsKey()));
            base.castTo(precision.dataType()); // sample as training ran; the ControlNet stays float32
            ControlNetSampler sampler = new ControlNetSampler(base, cn);
            for (Map.Entry<String, List<String>> mode : prompts.entrySet()) {
                Activity.getExecutionContext().heartbeat("sampling, prompt mode " + mode.getKey());
                samples.put(mode.getKey(), sampler.sample(manager, mode.getValue(), conditions,
                        new ControlNetSampler.Settings(r.steps(), (float) r.guidanceScale(), (float) r.controlScale(), r.seed())));
            }
            Activity.getExecutionContext().heartbeat("sampling the floor (no control)");
            floor = sampler.sample(manager, captions, conditions,
                    new ControlNetSampler.Settings(r.steps(), (float) r.guidanceScale(), 0f, r.seed()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        Map<String, Map<String, Double>> byMode = new LinkedHashMap<>();
        Map<String, Double> annotatorFloor = new LinkedHashMap<>();
        AnnotatorProbe probe = AnnotatorProbe.forCondition(r.condition() == null ? "canny" : r.condition(), r.annotatorModel(), store);
        try (probe) {
            if (probe != null) {
                Activity.getExecutionContext().heartbeat("re-extracting " + r.condition() + " from the samples");
                for (int i = 0; i < chosen.size(); i++) {
                    for (Map.Entry<String, List<float[]>> e : samples.entrySet()) {
                        byMode.computeIfAbsent(e.getKey(), k -> new LinkedHashMap<>())
                                .merge(probe.metric(), probe.score(e.getValue().get(i), conditions.get(i), size) / chosen.size(), Double::sum);
                    }
                    annotatorFloor.merge(probe.metric(), probe.score(floor.get(i), conditions.get(i), size) / chosen.size(), Double::sum);
                }
            }
        }
        List<Map<String, Object>> perSample = new ArrayList<>();
        List<ReportPage.Row> rows = new ArrayList<>();
        double floorSum = 0;
        for (int i = 0; i < chosen.size(); i++) {
            Sample s = chosen.get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", s.id());
            m.put("caption", s.caption());
            List<byte[]> images = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            for (Map.Entry<String, List<float[]>> e : samples.entrySet()) {
                float[] img = e.getValue().get(i);
                EdgeProbe.Scores scores = EdgeProbe.scores(img, conditions.get(i), size);
                double f1 = scores.f1();
                double ssim = scores.ssim();
                Map<String, Double> sums = byMode.computeIfAbsent(e.getKey(), k -> new LinkedHashMap<>());
                sums.merge("edgeF1", f1 / chosen.size(), Double::sum);
                sums.merge("edgeSSIM", ssim / chosen.size(), Double::sum);
                m.put("edgeF1." + e.getKey(), f1);
                m.put("edgeSSIM." + e.getKey(), ssim);
                images.add(OpenCv.encodePng(OpenCv.fromChw(img, size, -1f, 1f)));
                labels.add(String.format("F1 %.2f", f1));
            }
            double f1Floor = EdgeProbe.f1(floor.get(i), conditions.get(i), size);
            floorSum += f1Floor;
            m.put("edgeF1.noControl", f1Floor);
            images.add(OpenCv.encodePng(OpenCv.fromChw(floor.get(i), size, -1f, 1f)));
            labels.add(String.format("F1 %.2f", f1Floor));
            images.add(store.get(s.imageKey()));
            labels.add("");
            rows.add(new ReportPage.Row(s.caption(), store.get(s.conditionKey()), images, labels));
            perSample.add(m);
        }
        double edgeF1 = byMode.get("automatic").get("edgeF1");
        double edgeF1NoControl = floorSum / chosen.size();
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("samples", chosen.size());
        metrics.put("ddimSteps", r.steps());
        metrics.put("guidanceScale", r.guidanceScale());
        metrics.put("controlScale", r.controlScale());
        metrics.put("seed", r.seed());
        metrics.put("edgeF1", edgeF1);
        metrics.put("edgeSSIM", byMode.get("automatic").get("edgeSSIM"));
        metrics.put("edgeF1NoControl", edgeF1NoControl);
        annotatorFloor.forEach((metric, floorValue) -> {
            metrics.put(metric, byMode.get("automatic").get(metric));
            metrics.put(metric + "NoControl", floorValue);
        });
        metrics.put("promptModes", byMode);
        Map<String, String> modePrompts = new LinkedHashMap<>();
        prompts.forEach((k, v) -> modePrompts.put(k, k.equals("automatic") ? "(each sample's caption)" : v.get(0)));
        metrics.put("prompts", modePrompts);
        metrics.put("perSample", perSample);
        if (r.atStep() != null) {
            metrics.put("atStep", r.atStep());
        }
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
        if (!duringTraining.isEmpty()) {
            metrics.put("duringTraining", duringTraining);
        }
        String out = r.runPrefix() + "/evaluate/" + (r.atStep() == null ? "" : String.format("step-%08d/", r.atStep()));
        String metricsKey = out + "metrics.json";
        store.put(metricsKey, Json.bytes(metrics), "application/json");

        List<double[]> losses = new ArrayList<>();
        List<double[]> gains = new ArrayList<>();
        List<double[]> probes = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Map<String, Object> row : Json.readLines(store.get(r.metricsKey()), Map.class)) {
            double step = ((Number) row.get("step")).doubleValue();
            if ("probe".equals(row.get("kind"))) {
                gains.add(new double[] {step, number(row.get("conditionGain"))});
                probes.add(new double[] {step, number(row.get("edgeF1"))});
            } else if ("step".equals(row.get("kind"))) {
                losses.add(new double[] {step, number(row.get("loss"))});
                if (Boolean.TRUE.equals(row.get("skipped"))) {
                    skipped.add("step " + (long) step + (row.get("skipReason") == null ? "" : ": " + row.get("skipReason")));
                }
            } // "resume" and "init" rows mark events, not measurements
        }
        ModelRegistry registry = new ModelRegistry(store);
        Optional<String> previous = registry.latestVersion(r.name());
        Map<String, Object> previousMetrics = previous.map(v -> registry.metrics(r.name(), v)).orElse(Map.of());
        List<ReportPage.Comparison> comparison = new ArrayList<>();
        comparison.add(new ReportPage.Comparison("edge F1, automatic prompts (promotion gate)", edgeF1, previousNumber(previousMetrics, "edgeF1")));
        comparison.add(new ReportPage.Comparison("edge SSIM, automatic prompts", byMode.get("automatic").get("edgeSSIM"),
                previousNumber(previousMetrics, "edgeSSIM")));
        comparison.add(new ReportPage.Comparison("edge F1, no control (floor)", edgeF1NoControl, previousNumber(previousMetrics, "edgeF1NoControl")));
        annotatorFloor.forEach((metric, floorValue) -> {
            String label = metric.equals("depthRMSE") ? "depth RMSE (0-255, lower is better)" : "segmentation mIoU";
            comparison.add(new ReportPage.Comparison(label + ", automatic prompts", byMode.get("automatic").get(metric), previousNumber(previousMetrics, metric)));
            comparison.add(new ReportPage.Comparison(label + ", no control (floor)", floorValue, previousNumber(previousMetrics, metric + "NoControl")));
        });
        for (Map<String, Object> earlier : duringTraining) {
            comparison.add(new ReportPage.Comparison("edge F1, automatic prompts, at step " + earlier.get("atStep") + " (during training)",
                    number(earlier.get("edgeF1")), null));
        }
        for (String mode : byMode.keySet()) {
            Object prevModes = previousMetrics.get("promptModes");
            Double prev = prevModes instanceof Map<?, ?> pm && pm.get(mode) instanceof Map<?, ?> mm && mm.get("edgeF1") != null
                    ? number(mm.get("edgeF1")) : null;
            comparison.add(new ReportPage.Comparison("edge F1, prompt mode " + mode, byMode.get(mode).get("edgeF1"), prev));
        }

        Map<String, Object> clean = Json.read(store.get(r.cleanReportKey()), Map.class);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("model", r.name());
        summary.put("model config", r.modelConfig());
        summary.put("images seen / kept", clean.get("seen") + " / " + clean.get("kept"));
        summary.put("training steps", losses.size());
        summary.put("final loss", losses.isEmpty() ? "n/a" : String.format("%.4f", losses.get(losses.size() - 1)[1]));
        summary.put("sudden convergence", r.convergedStep() == null ? "not detected" : "step " + r.convergedStep());
        summary.put("steps skipped as non-finite", skipped.isEmpty() ? "none" : skipped.size() + " (" + String.join("; ", skipped) + ")");
        summary.put("held-out samples", chosen.size() + " (never trained on)");
        summary.put("sampler", "DDIM " + r.steps() + " steps, CFG " + r.guidanceScale() + ", control scale " + r.controlScale()
                + ", seed " + r.seed());
        summary.put("prompt modes", String.join(", ", prompts.keySet()) + (r.userPrompt().isBlank() ? " (no user prompt given)" : ""));
        summary.put("base model", r.baseModel());
        if ("tiny".equals(r.modelConfig())) {
            summary.put("note", "tiny preset: a small pixel-space base trained on synthetic circles; a space-to-depth codec and a hashed"
                    + " text encoder stand in for SD1.5's VAE and CLIP");
        }
        List<String> columns = new ArrayList<>();
        prompts.keySet().forEach(mode -> columns.add("prompt: " + mode + (mode.equals("automatic") ? " (caption)" : "")));
        columns.add("no control, caption (floor)");
        columns.add("original");
        if (r.atStep() != null) {
            summary.put("evaluated", "the checkpoint at step " + r.atStep() + ", during training");
        }
        String html = ReportPage.render("ControlNet evaluation: " + r.name() + (r.atStep() == null ? "" : " at step " + r.atStep()), summary, (Map<String, Integer>) clean.get("dropped"),
                List.of(new ReportPage.Curve("training loss", losses, "#1f77b4"),
                        new ReportPage.Curve("condition gain: L(ε | no condition) − L(ε | condition), held-out", gains, "#2ca02c"),
                        new ReportPage.Curve("controllability probe: edge F1 of 10-step samples, held-out", probes, "#d62728")),
                r.convergedStep(), comparison, previous.orElse(null), columns, rows);
        String reportKey = out + "report.html";
        store.put(reportKey, html.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8");
        return new Result(reportKey, metricsKey, chosen.size(), edgeF1, edgeF1NoControl);
    }

    private static Double previousNumber(Map<String, Object> metrics, String key) {
        return metrics.get(key) == null ? null : number(metrics.get(key));
    }
}
