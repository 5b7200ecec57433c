package dev.cnf.activities.study;

import dev.cnf.activities.metrics.TrainingLogRow;
import dev.cnf.activities.registry.RunKeys;
import dev.cnf.activities.report.Html;
import dev.cnf.activities.report.LineChart;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.train.ConvergenceDetector;
import dev.cnf.workflows.stages.StudyActivities;
import io.temporal.activity.Activity;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The study's comparison report: each arm's training log (probes, losses, the step-0 deviation from the base, the
 * detected convergence step) and published evaluation (edge F1 per prompt mode, samples), side by side and summarised
 * per variant as mean and spread across seeds. The detector is judged against each arm's reference step
 * ({@link ConvergenceDetector#referenceStep}): its false-positive and miss rates over the arms.
 */
public class StudyActivitiesImpl implements StudyActivities {
    /** Samples per arm in the report's grid. */
    static final int GRID_SAMPLES = 4;
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf"};

    private final ObjectStore store;

    public StudyActivitiesImpl(ObjectStore store) {
        this.store = store;
    }

    /** What the report knows of one arm; the numbers are null where the arm failed before them. */
    record ArmFacts(StudyActivities.Arm arm, List<double[]> probes, List<double[]> losses, Double baseDeviationMax,
                    Double baseDeviationRms, Integer convergedStep, Integer referenceStep, ConvergenceDetector.Verdict verdict,
                    Integer steps, Double finalLoss, Map<String, Double> edgeF1ByMode, Double edgeF1NoControl, List<String> sampleIds,
                    String evaluationFolder) {
        boolean done() {
            return arm.error() == null && edgeF1ByMode != null;
        }
    }

    @Override
    public Report report(ReportRequest r) {
        var ctx = Activity.getExecutionContext();
        return write(r, ctx::heartbeat);
    }

    /** Reads every arm and writes the report; {@code progress} hears of each arm (the activity heartbeats it). */
    public Report write(ReportRequest r, java.util.function.Consumer<String> progress) {
        List<ArmFacts> arms = new ArrayList<>();
        for (Arm arm : r.arms()) {
            progress.accept("reading arm " + arm.name());
            arms.add(facts(arm));
        }
        Map<String, Object> json = json(r, arms);
        String htmlKey = r.prefix() + "/report.html";
        String jsonKey = r.prefix() + "/report.json";
        store.put(jsonKey, Json.bytes(json), "application/json");
        store.put(htmlKey, html(r, arms, json).getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8");
        return new Report(htmlKey, jsonKey, store.uri(htmlKey), store.uri(jsonKey));
    }

    @SuppressWarnings("unchecked")
    ArmFacts facts(Arm arm) {
        List<double[]> probes = new ArrayList<>();
        List<double[]> losses = new ArrayList<>();
        List<ConvergenceDetector.Point> points = new ArrayList<>();
        Double devMax = null, devRms = null, finalLoss = null;
        Integer converged = null, steps = null;
        if (arm.trainingLogKey() != null) {
            for (TrainingLogRow row : Json.readLines(store.get(arm.trainingLogKey()), TrainingLogRow.class)) {
                if (row instanceof TrainingLogRow.Probe p) {
                    probes.add(new double[] {p.step(), p.edgeF1()});
                    points.add(new ConvergenceDetector.Point(p.step(), p.conditionGain(), p.edgeF1()));
                    converged = p.convergedStep() != null ? p.convergedStep() : converged;
                } else if (row instanceof TrainingLogRow.Step s) {
                    losses.add(new double[] {s.step(), s.loss()});
                    steps = s.step();
                    finalLoss = s.skipped() ? finalLoss : s.loss();
                } else if (row instanceof TrainingLogRow.BaseDeviation d) {
                    devMax = d.maxAbs();
                    devRms = d.rms();
                }
            }
        }
        OptionalInt reference = ConvergenceDetector.referenceStep(points, ConvergenceDetector.Settings.defaults());
        Map<String, Double> byMode = null;
        Double floor = null;
        List<String> ids = new ArrayList<>();
        String folder = null;
        if (arm.evaluationMetricsKey() != null) {
            Map<String, Object> metrics = Json.read(store.get(arm.evaluationMetricsKey()), Map.class);
            byMode = new LinkedHashMap<>();
            for (Map.Entry<String, Object> mode : ((Map<String, Object>) metrics.get("promptModes")).entrySet()) {
                byMode.put(mode.getKey(), Json.number(((Map<String, Object>) mode.getValue()).get("edgeF1")));
            }
            floor = Json.number(metrics.get("edgeF1NoControl"));
            for (Map<String, Object> sample : (List<Map<String, Object>>) metrics.get("perSample")) {
                ids.add(String.valueOf(sample.get("id")));
            }
            folder = RunKeys.evaluationFolder(arm.evaluationMetricsKey());
        }
        boolean trained = arm.trainingLogKey() != null;
        return new ArmFacts(arm, probes, losses, devMax, devRms, converged, reference.isPresent() ? reference.getAsInt() : null,
                trained ? ConvergenceDetector.Verdict.of(converged, reference) : null, steps, finalLoss, byMode, floor, ids, folder);
    }

    /** Mean and sample standard deviation (null with fewer than two values) of the non-null values. */
    record Spread(int n, Double mean, Double sd) {
        static Spread of(List<Double> values) {
            List<Double> v = values.stream().filter(d -> d != null && Double.isFinite(d)).toList();
            if (v.isEmpty()) {
                return new Spread(0, null, null);
            }
            double mean = v.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            Double sd = v.size() < 2 ? null : Math.sqrt(v.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / (v.size() - 1));
            return new Spread(v.size(), mean, sd);
        }

        String show(String format) {
            return mean == null ? "n/a" : String.format(format, mean) + (sd == null ? "" : " ± " + String.format(format, sd));
        }
    }

    Map<String, Object> json(ReportRequest r, List<ArmFacts> arms) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("study", r.studyId());
        out.put("dataset", Map.of("preparedBy", r.preparedBy(), "samples", r.samples()));
        ConvergenceDetector.Settings detector = ConvergenceDetector.Settings.defaults();
        out.put("detector", Map.of("baselineEvals", detector.baselineEvals(), "minJump", detector.minJump(), "sigmas", detector.sigmas(),
                "persistence", detector.persistence(), "reference",
                "the first probe from which every later probe stays above the baseline's threshold"));
        List<Map<String, Object>> variants = new ArrayList<>();
        for (Variant v : r.variants()) {
            List<ArmFacts> of = arms.stream().filter(a -> a.arm().variant().equals(v.name())).toList();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("variant", v.name());
            row.put("sets", v.sets());
            row.put("arms", of.size());
            row.put("failed", of.stream().filter(a -> !a.done()).count());
            row.put("edgeF1", Spread.of(of.stream().map(a -> mode(a, "automatic")).toList()));
            row.put("edgeF1NonePrompt", Spread.of(of.stream().map(a -> mode(a, "none")).toList()));
            row.put("edgeF1NoControl", Spread.of(of.stream().map(ArmFacts::edgeF1NoControl).toList()));
            row.put("convergedStep", Spread.of(of.stream().map(a -> a.convergedStep() == null ? null : a.convergedStep().doubleValue()).toList()));
            row.put("convergenceDetected", of.stream().filter(a -> a.convergedStep() != null).count());
            row.put("baseDeviationRms", Spread.of(of.stream().map(ArmFacts::baseDeviationRms).toList()));
            row.put("finalLoss", Spread.of(of.stream().map(ArmFacts::finalLoss).toList()));
            variants.add(row);
        }
        out.put("variants", variants);
        List<Map<String, Object>> armRows = new ArrayList<>();
        for (ArmFacts a : arms) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", a.arm().name());
            row.put("variant", a.arm().variant());
            row.put("seed", a.arm().seed());
            row.put("workflowId", a.arm().workflowId());
            row.put("status", a.done() ? "done" : "failed");
            row.put("error", a.arm().error());
            row.put("modelUri", a.arm().modelUri());
            row.put("steps", a.steps());
            row.put("finalLoss", a.finalLoss());
            row.put("edgeF1ByPromptMode", a.edgeF1ByMode());
            row.put("edgeF1NoControl", a.edgeF1NoControl());
            row.put("baseDeviation", a.baseDeviationMax() == null ? null : Map.of("maxAbs", a.baseDeviationMax(), "rms", a.baseDeviationRms()));
            row.put("convergedStep", a.convergedStep());
            row.put("referenceStep", a.referenceStep());
            row.put("detector", a.verdict() == null ? null : a.verdict().name());
            row.put("probes", a.probes());
            armRows.add(row);
        }
        out.put("arms", armRows);
        long flagged = arms.stream().filter(a -> a.convergedStep() != null && a.verdict() != null).count();
        long withReference = arms.stream().filter(a -> a.referenceStep() != null).count();
        long falsePositives = count(arms, ConvergenceDetector.Verdict.FALSE_POSITIVE);
        long misses = count(arms, ConvergenceDetector.Verdict.MISS);
        Map<String, Object> rates = new LinkedHashMap<>();
        rates.put("hits", count(arms, ConvergenceDetector.Verdict.HIT));
        rates.put("falsePositives", falsePositives);
        rates.put("misses", misses);
        rates.put("neither", count(arms, ConvergenceDetector.Verdict.NONE));
        rates.put("falsePositiveRate", flagged == 0 ? null : (double) falsePositives / flagged);
        rates.put("missRate", withReference == 0 ? null : (double) misses / withReference);
        out.put("detectorAgainstReference", rates);
        out.put("detectorAlternatives", detectorAlternatives(arms));
        return out;
    }

    /** The jumps the report replays the detector with, the deployed one among them. */
    static final List<Double> REPLAYED_JUMPS = List.of(0.05, 0.1, 0.15, 0.2);

    /**
     * The detector replayed on every trained arm's probe series with each jump of {@link #REPLAYED_JUMPS} and persistence
     * 1 to 4 (baseline and sigmas as deployed), each judged by the same reference (the deployed threshold's): what a
     * stricter or looser test would have flagged, for tuning.
     */
    static List<Map<String, Object>> detectorAlternatives(List<ArmFacts> arms) {
        ConvergenceDetector.Settings deployed = ConvergenceDetector.Settings.defaults();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (double jump : REPLAYED_JUMPS) {
            for (int persistence = 1; persistence <= 4; persistence++) {
                rows.add(replay(arms, new ConvergenceDetector.Settings(deployed.baselineEvals(), jump, deployed.sigmas(), persistence)));
            }
        }
        return rows;
    }

    private static Map<String, Object> replay(List<ArmFacts> arms, ConvergenceDetector.Settings settings) {
        Map<ConvergenceDetector.Verdict, Integer> verdicts = new java.util.EnumMap<>(ConvergenceDetector.Verdict.class);
        List<Integer> lateness = new ArrayList<>();
        for (ArmFacts a : arms) {
            if (a.verdict() == null) {
                continue; // not trained
            }
            ConvergenceDetector detector = new ConvergenceDetector(settings);
            a.probes().forEach(p -> detector.add(new ConvergenceDetector.Point((int) p[0], 0, p[1])));
            Integer flagged = detector.convergedStep().isPresent() ? detector.convergedStep().getAsInt() : null;
            ConvergenceDetector.Verdict v = ConvergenceDetector.Verdict.of(flagged,
                    a.referenceStep() == null ? OptionalInt.empty() : OptionalInt.of(a.referenceStep()));
            verdicts.merge(v, 1, Integer::sum);
            if (v == ConvergenceDetector.Verdict.HIT) {
                lateness.add(flagged - a.referenceStep());
            }
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("minJump", settings.minJump());
        row.put("persistence", settings.persistence());
        row.put("deployed", settings.equals(ConvergenceDetector.Settings.defaults()));
        for (ConvergenceDetector.Verdict v : ConvergenceDetector.Verdict.values()) {
            row.put(v.name(), verdicts.getOrDefault(v, 0));
        }
        row.put("hitLatenessSteps", Spread.of(lateness.stream().map(Integer::doubleValue).toList()));
        return row;
    }

    private static long count(List<ArmFacts> arms, ConvergenceDetector.Verdict verdict) {
        return arms.stream().filter(a -> a.verdict() == verdict).count();
    }

    private static Double mode(ArmFacts a, String mode) {
        return a.edgeF1ByMode() == null ? null : a.edgeF1ByMode().get(mode);
    }

    @SuppressWarnings("unchecked")
    String html(ReportRequest r, List<ArmFacts> arms, Map<String, Object> json) {
        StringBuilder h = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
                .append(Html.esc("Study " + r.studyId())).append("</title><style>")
                .append("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}")
                .append("img{width:96px;height:96px;image-rendering:pixelated}</style></head><body>");
        h.append("<h1>").append(Html.esc("Study " + r.studyId())).append("</h1>");
        h.append("<p>").append(arms.size()).append(" arms on one dataset (").append(r.samples()).append(" conditioned samples, prepared by ")
                .append(Html.esc(r.preparedBy())).append("). Spread: mean ± sample standard deviation across seeds.</p>");
        h.append("<h2>By variant</h2><table><tr><th>variant</th><th>sets</th><th>arms (failed)</th><th>edge F1, automatic prompts</th>")
                .append("<th>edge F1, no prompt</th><th>edge F1, no control</th><th>sudden convergence step (detected in)</th>")
                .append("<th>step-0 deviation from the base (rms)</th><th>final loss</th></tr>");
        for (Map<String, Object> v : (List<Map<String, Object>>) json.get("variants")) {
            h.append("<tr><td>").append(Html.esc((String) v.get("variant"))).append("</td><td><code>").append(Html.esc((String) v.get("sets")))
                    .append("</code></td><td>").append(v.get("arms")).append(" (").append(v.get("failed")).append(")</td>")
                    .append(cell(v.get("edgeF1"), "%.3f")).append(cell(v.get("edgeF1NonePrompt"), "%.3f")).append(cell(v.get("edgeF1NoControl"), "%.3f"))
                    .append("<td>").append(((Spread) v.get("convergedStep")).show("%.0f")).append(" (").append(v.get("convergenceDetected"))
                    .append(" of ").append(v.get("arms")).append(")</td>").append(cell(v.get("baseDeviationRms"), "%.3g"))
                    .append(cell(v.get("finalLoss"), "%.4f")).append("</tr>");
        }
        h.append("</table>");
        Map<String, Object> rates = (Map<String, Object>) json.get("detectorAgainstReference");
        h.append("<h2>The convergence detector against the reference</h2><p>Reference: the first probe from which every later probe stays ")
                .append("above the baseline's threshold. Hits ").append(rates.get("hits")).append(", false positives ")
                .append(rates.get("falsePositives")).append(" (rate ").append(rate(rates.get("falsePositiveRate"))).append("), misses ")
                .append(rates.get("misses")).append(" (rate ").append(rate(rates.get("missRate"))).append("), neither ")
                .append(rates.get("neither")).append(".</p>");
        h.append("<p>The same test replayed with other jumps over the baseline and persistence (probes in a row above the threshold), ")
                .append("judged by the same reference:</p>")
                .append("<table><tr><th>jump</th><th>persistence</th><th>hits</th><th>false positives</th><th>misses</th><th>neither</th>")
                .append("<th>hit flagged after the reference (steps)</th></tr>");
        for (Map<String, Object> row : (List<Map<String, Object>>) json.get("detectorAlternatives")) {
            h.append("<tr><td>").append(row.get("minJump")).append("</td><td>").append(row.get("persistence"))
                    .append(Boolean.TRUE.equals(row.get("deployed")) ? " (deployed)" : "")
                    .append("</td><td>").append(row.get("HIT")).append("</td><td>").append(row.get("FALSE_POSITIVE")).append("</td><td>")
                    .append(row.get("MISS")).append("</td><td>").append(row.get("NONE")).append("</td>")
                    .append(cell(row.get("hitLatenessSteps"), "%.0f")).append("</tr>");
        }
        h.append("</table>");
        h.append("<h2>Curves</h2><h3>controllability probe by variant: edge F1 of held-out samples, mean across seeds with its 95% band</h3>")
                .append(LineChart.svg(variantMeans(r, arms), null))
                .append("<h3>controllability probe by arm</h3>")
                .append(LineChart.svg(curves(r, arms, ArmFacts::probes, false), null))
                .append("<h3>training loss (smoothed, EMA)</h3>").append(LineChart.svg(curves(r, arms, ArmFacts::losses, true), null));
        h.append("<h2>By arm</h2><table><tr><th>arm</th><th>seed</th><th>status</th><th>edge F1 by prompt mode</th><th>no control</th>")
                .append("<th>converged (reference, verdict)</th><th>step-0 deviation max / rms</th><th>final loss</th><th>model or error</th></tr>");
        for (ArmFacts a : arms) {
            h.append("<tr><td>").append(Html.esc(a.arm().name())).append("</td><td>").append(a.arm().seed()).append("</td><td>")
                    .append(a.done() ? "done" : "failed").append("</td><td>");
            if (a.edgeF1ByMode() != null) {
                a.edgeF1ByMode().forEach((m, f1) -> h.append(Html.esc(m)).append(String.format(" %.3f<br>", f1)));
            }
            h.append("</td><td>").append(a.edgeF1NoControl() == null ? "" : String.format("%.3f", a.edgeF1NoControl())).append("</td><td>")
                    .append(a.convergedStep() == null ? "not detected" : "step " + a.convergedStep()).append(" (")
                    .append(a.referenceStep() == null ? "no reference" : "reference " + a.referenceStep())
                    .append(a.verdict() == null ? "" : ", " + a.verdict().name().toLowerCase().replace('_', ' ')).append(")</td><td>")
                    .append(a.baseDeviationMax() == null ? "" : String.format("%.3g / %.3g", a.baseDeviationMax(), a.baseDeviationRms()))
                    .append("</td><td>").append(a.finalLoss() == null ? "" : String.format("%.4f", a.finalLoss())).append("</td><td>")
                    .append(Html.esc(a.arm().error() != null ? a.arm().error() : String.valueOf(a.arm().modelUri()))).append("</td></tr>");
        }
        h.append("</table>");
        h.append(grid(arms));
        return h.append("</body></html>").toString();
    }

    private static String cell(Object spread, String format) {
        return "<td>" + ((Spread) spread).show(format) + "</td>";
    }

    private static String rate(Object rate) {
        return rate == null ? "n/a" : String.format("%.2f", (Double) rate);
    }

    private static List<LineChart.Curve> curves(ReportRequest r, List<ArmFacts> arms, java.util.function.Function<ArmFacts, List<double[]>> points,
                                                boolean smooth) {
        List<String> variants = r.variants().stream().map(Variant::name).toList();
        List<LineChart.Curve> curves = new ArrayList<>();
        for (ArmFacts a : arms) {
            List<double[]> p = points.apply(a);
            if (!p.isEmpty()) {
                String color = COLORS[Math.max(0, variants.indexOf(a.arm().variant())) % COLORS.length];
                curves.add(new LineChart.Curve(a.arm().name(), smooth ? LineChart.ema(p) : p, color));
            }
        }
        return curves;
    }

    /** Each variant's probe series averaged over its seeds at the steps they share, with the standard error of that mean. */
    private static List<LineChart.Curve> variantMeans(ReportRequest r, List<ArmFacts> arms) {
        List<LineChart.Curve> curves = new ArrayList<>();
        for (int k = 0; k < r.variants().size(); k++) {
            String variant = r.variants().get(k).name();
            Map<Double, List<Double>> byStep = new java.util.TreeMap<>();
            arms.stream().filter(a -> a.arm().variant().equals(variant))
                    .forEach(a -> a.probes().forEach(p -> byStep.computeIfAbsent(p[0], s -> new ArrayList<>()).add(p[1])));
            List<double[]> points = new ArrayList<>();
            List<Double> errors = new ArrayList<>();
            byStep.forEach((step, values) -> {
                Spread s = Spread.of(values);
                points.add(new double[] {step, s.mean()});
                errors.add(s.sd() == null ? 0 : s.sd() / Math.sqrt(s.n()));
            });
            curves.add(new LineChart.Curve(variant, points, COLORS[k % COLORS.length], errors, List.of(), false));
        }
        return curves;
    }

    /** The first held-out samples of every arm (automatic prompts), under their conditions: the same samples across arms. */
    private String grid(List<ArmFacts> arms) {
        ArmFacts first = arms.stream().filter(ArmFacts::done).findFirst().orElse(null);
        if (first == null) {
            return "<h2>Samples</h2><p>no arm finished</p>";
        }
        List<String> ids = first.sampleIds().subList(0, Math.min(GRID_SAMPLES, first.sampleIds().size()));
        StringBuilder h = new StringBuilder("<h2>Samples: held-out conditions, automatic prompts</h2><table><tr><th>condition</th>");
        for (String id : ids) {
            h.append("<td>").append(image(RunKeys.evaluationSample(first.evaluationFolder(), "condition", id))).append("</td>");
        }
        h.append("</tr>");
        for (ArmFacts a : arms) {
            if (!a.done()) {
                continue;
            }
            h.append("<tr><th>").append(Html.esc(a.arm().name())).append("</th>");
            for (String id : ids) {
                h.append("<td>").append(image(RunKeys.evaluationSample(a.evaluationFolder(), "automatic", id))).append("</td>");
            }
            h.append("</tr>");
        }
        return h.append("</table>").toString();
    }

    private String image(String key) {
        return store.exists(key) ? Html.img(store.get(key)) : "missing";
    }
}
