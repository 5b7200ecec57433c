package dev.cnf.activities.evaluate;

import ai.djl.ndarray.NDManager;
import dev.cnf.activities.dataset.HeldOut;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.imaging.EdgeProbe;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.train.BaseModels;
import dev.cnf.activities.train.TrainActivitiesImpl;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.train.BaseModel;
import dev.cnf.workflows.stages.EvaluateActivities;
import io.temporal.activity.Activity;
import org.opencv.core.Mat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples with DDIM + classifier-free guidance from the trained ControlNet and, as the floor, with
 * control scale 0; re-extracts Canny edges from each sample and scores them against the input
 * condition (edge F1, 1 px tolerance). Writes metrics.json and a self-contained report.html.
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

    @Override
    @SuppressWarnings("unchecked")
    public Result evaluate(Request r) {
        List<Sample> chosen = HeldOut.split(SampleTables.read(store, r.samplesKey()), r.samples()).heldOut();
        List<float[]> conditions = new ArrayList<>();
        List<String> prompts = new ArrayList<>();
        for (Sample s : chosen) {
            conditions.add(OpenCv.toChw(OpenCv.decodeBgr(store.get(s.conditionKey())), 0f, 1f));
            prompts.add(s.caption());
        }
        int size = (int) Math.round(Math.sqrt(conditions.get(0).length / 3.0)); // square CHW, 3 channels
        ModelConfig cfg = TrainActivitiesImpl.config(r.modelConfig(), size);
        List<float[]> controlled;
        List<float[]> uncontrolled;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BaseModel base = BaseModels.load(r.baseModel(), cfg, manager).model();
            ControlNet cn = base.newControlNet(manager, r.seed());
            Weights.load(cn, Safetensors.read(store.get(r.weightsKey())));
            ControlNetSampler sampler = new ControlNetSampler(base, cn);
            Activity.getExecutionContext().heartbeat("sampling");
            controlled = sampler.sample(manager, prompts, conditions,
                    new ControlNetSampler.Settings(r.steps(), (float) r.guidanceScale(), 1f, r.seed()));
            Activity.getExecutionContext().heartbeat("sampling floor");
            uncontrolled = sampler.sample(manager, prompts, conditions,
                    new ControlNetSampler.Settings(r.steps(), (float) r.guidanceScale(), 0f, r.seed()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        List<ReportPage.Row> rows = new ArrayList<>();
        List<Map<String, Object>> perSample = new ArrayList<>();
        double f1Sum = 0;
        double floorSum = 0;
        for (int i = 0; i < chosen.size(); i++) {
            Sample s = chosen.get(i);
            Mat sample = OpenCv.fromChw(controlled.get(i), size, -1f, 1f);
            Mat floor = OpenCv.fromChw(uncontrolled.get(i), size, -1f, 1f);
            double f1 = EdgeProbe.f1(controlled.get(i), conditions.get(i), size);
            double f1Floor = EdgeProbe.f1(uncontrolled.get(i), conditions.get(i), size);
            f1Sum += f1;
            floorSum += f1Floor;
            rows.add(new ReportPage.Row(s.caption(), store.get(s.conditionKey()), OpenCv.encodePng(sample), OpenCv.encodePng(floor),
                    store.get(s.imageKey()), f1));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", s.id());
            m.put("caption", s.caption());
            m.put("edgeF1", f1);
            m.put("edgeF1NoControl", f1Floor);
            perSample.add(m);
        }
        double edgeF1 = f1Sum / chosen.size();
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("samples", chosen.size());
        metrics.put("ddimSteps", r.steps());
        metrics.put("guidanceScale", r.guidanceScale());
        metrics.put("edgeF1", edgeF1);
        metrics.put("edgeF1NoControl", floorSum / chosen.size());
        metrics.put("perSample", perSample);
        String metricsKey = r.runPrefix() + "/evaluate/metrics.json";
        store.put(metricsKey, Json.bytes(metrics), "application/json");

        List<double[]> losses = new ArrayList<>();
        List<double[]> gains = new ArrayList<>();
        List<double[]> probes = new ArrayList<>();
        for (Map<String, Object> row : Json.readLines(store.get(r.metricsKey()), Map.class)) {
            double step = ((Number) row.get("step")).doubleValue();
            if ("resume".equals(row.get("kind"))) {
                continue;
            }
            if ("probe".equals(row.get("kind"))) {
                gains.add(new double[] {step, number(row.get("conditionGain"))});
                probes.add(new double[] {step, number(row.get("edgeF1"))});
            } else {
                losses.add(new double[] {step, number(row.get("loss"))});
            }
        }
        Map<String, Object> clean = Json.read(store.get(r.cleanReportKey()), Map.class);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("model config", r.modelConfig());
        summary.put("images seen / kept", clean.get("seen") + " / " + clean.get("kept"));
        summary.put("training steps", losses.size());
        summary.put("final loss", losses.isEmpty() ? "n/a" : String.format("%.4f", losses.get(losses.size() - 1)[1]));
        summary.put("sudden convergence", r.convergedStep() == null ? "not detected" : "step " + r.convergedStep());
        summary.put("held-out samples", chosen.size() + " (never trained on)");
        summary.put("sampler", "DDIM " + r.steps() + " steps, CFG " + r.guidanceScale() + ", seed " + r.seed());
        summary.put("edge F1 (control 1.0)", String.format("%.3f", edgeF1));
        summary.put("edge F1 (no control, floor)", String.format("%.3f", floorSum / chosen.size()));
        summary.put("base model", r.baseModel());
        summary.put("note", "tiny preset: a small pixel-space base trained on synthetic circles; a space-to-depth codec and a hashed"
                + " text encoder stand in for SD1.5's VAE and CLIP");
        String html = ReportPage.render("ControlNet evaluation", summary, (Map<String, Integer>) clean.get("dropped"),
                List.of(new ReportPage.Curve("training loss", losses, "#1f77b4"),
                        new ReportPage.Curve("condition gain: L(ε | no condition) − L(ε | condition), held-out", gains, "#2ca02c"),
                        new ReportPage.Curve("controllability probe: edge F1 of 10-step samples, held-out", probes, "#d62728")),
                r.convergedStep(), rows);
        String reportKey = r.runPrefix() + "/evaluate/report.html";
        store.put(reportKey, html.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8");
        return new Result(reportKey, metricsKey, chosen.size(), edgeF1);
    }
}
