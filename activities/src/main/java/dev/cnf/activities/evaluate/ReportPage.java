package dev.cnf.activities.evaluate;

import dev.cnf.activities.imaging.ImageSniffer;

import java.util.Base64;
import java.util.List;
import java.util.Map;

/** The self-contained HTML report: images inline as data URIs, curves as inline SVG. */
final class ReportPage {
    /** One held-out condition: its caption, the condition, one image per column, and a label under each. */
    record Row(String caption, byte[] conditionPng, List<byte[]> images, List<String> labels) {}

    /** A metric of this version beside the previous published one (null where there is none). */
    record Comparison(String metric, double value, Double previous) {}

    private ReportPage() {}

    /** A series to plot: (step, value) points. */
    /**
     * @param errors standard errors of the points (a 95% band is drawn), or empty
     * @param marks  steps to mark below the curve (skipped, non-finite steps), or empty
     * @param smooth draw an exponential moving average over the faded raw curve
     */
    record Curve(String title, List<double[]> points, String color, List<Double> errors, List<Double> marks, boolean smooth) {
        Curve(String title, List<double[]> points, String color) {
            this(title, points, color, List.of(), List.of(), false);
        }

        double error(int i) {
            return i < errors.size() && Double.isFinite(errors.get(i)) ? errors.get(i) : 0;
        }
    }

    static String render(String title, Map<String, Object> summary, Map<String, Integer> dropped, List<Curve> curves,
                         Integer convergedStep, List<Comparison> metrics, String previousVersion, List<String> columns, List<Row> rows) {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title><style>")
                .append("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}img{width:128px;height:128px;image-rendering:pixelated}")
                .append(".cap{max-width:220px;font-size:12px}</style></head><body>");
        h.append("<h1>").append(esc(title)).append("</h1><h2>Summary</h2><table>");
        summary.forEach((k, v) -> h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(String.valueOf(v))).append("</td></tr>"));
        h.append("</table><h2>Metrics</h2><table><tr><th>metric</th><th>this version</th><th>")
                .append(previousVersion == null ? "previous version" : "previous: " + esc(previousVersion)).append("</th><th>change</th></tr>");
        for (Comparison c : metrics) {
            h.append("<tr><td>").append(esc(c.metric())).append("</td><td>").append(String.format("%.3f", c.value())).append("</td>");
            if (c.previous() == null) {
                h.append("<td>n/a</td><td></td></tr>");
            } else {
                double d = c.value() - c.previous();
                h.append("<td>").append(String.format("%.3f", c.previous())).append("</td><td style=\"color:")
                        .append(d < 0 ? "#b00" : "#070").append("\">").append(String.format("%+.3f", d)).append("</td></tr>");
            }
        }
        h.append("</table><h2>Cleaning: drops by reason</h2><table><tr><th>reason</th><th>count</th></tr>");
        if (dropped.isEmpty()) {
            h.append("<tr><td colspan=2>nothing dropped</td></tr>");
        }
        dropped.forEach((k, v) -> h.append("<tr><td>").append(esc(k)).append("</td><td>").append(v).append("</td></tr>"));
        h.append("</table><h2>Training</h2>");
        if (convergedStep != null) {
            h.append("<p>Sudden convergence detected at step <b>").append(convergedStep).append("</b> (dashed line).</p>");
        }
        for (Curve c : curves) {
            h.append("<h3>").append(esc(c.title())).append("</h3>").append(svg(c, convergedStep));
        }
        h.append("<h2>Held-out samples</h2><table><tr><th>caption</th><th>condition</th>");
        columns.forEach(c -> h.append("<th>").append(esc(c)).append("</th>"));
        h.append("</tr>");
        for (Row r : rows) {
            h.append("<tr><td class=cap>").append(esc(r.caption())).append("</td>").append(img(r.conditionPng(), ""));
            for (int i = 0; i < r.images().size(); i++) {
                h.append(img(r.images().get(i), r.labels().get(i)));
            }
            h.append("</tr>");
        }
        return h.append("</table></body></html>").toString();
    }

    /** A line chart: gridlines with tick labels, the converged step dashed, marks (e.g. skipped steps) in red below. */
    static String svg(Curve curve, Integer mark) {
        int w = 600, hgt = 160;
        List<double[]> pts = curve.points().stream().filter(p -> Double.isFinite(p[1])).toList();
        if (pts.isEmpty()) {
            return "<p>no data</p>";
        }
        List<double[]> smooth = curve.smooth() ? ema(pts) : List.of();
        double minX = pts.get(0)[0], maxX = pts.get(pts.size() - 1)[0];
        double minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < pts.size(); i++) {
            double band = 1.96 * curve.error(i);
            minY = Math.min(minY, pts.get(i)[1] - band);
            maxY = Math.max(maxY, pts.get(i)[1] + band);
        }
        double[] yTicks = ticks(minY, maxY);
        double bottom = Math.min(minY, yTicks[0]), top = Math.max(maxY, yTicks[yTicks.length - 1]);
        double spanX = Math.max(maxX - minX, 1e-12), spanY = Math.max(top - bottom, 1e-12);
        java.util.function.DoubleUnaryOperator x = v -> (v - minX) / spanX * w;
        java.util.function.DoubleUnaryOperator y = v -> hgt - (v - bottom) / spanY * hgt;
        StringBuilder s = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + (w + 90) + "\" height=\"" + (hgt + 40) + "\">")
                .append("<g transform=\"translate(70,8)\" font-size=\"11\"><rect width=\"").append(w).append("\" height=\"").append(hgt)
                .append("\" fill=\"#fafafa\" stroke=\"#ccc\"/>");
        for (double t : yTicks) {
            s.append(String.format("<line x1=\"0\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/><text x=\"-6\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                    w, y.applyAsDouble(t), y.applyAsDouble(t), y.applyAsDouble(t) + 4, label(t)));
        }
        for (double t : ticks(minX, maxX)) {
            if (t >= minX && t <= maxX) {
                s.append(String.format("<line y1=\"0\" y2=\"%d\" x1=\"%.1f\" x2=\"%.1f\" stroke=\"#e4e4e4\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
                        hgt, x.applyAsDouble(t), x.applyAsDouble(t), x.applyAsDouble(t), hgt + 14, label(t)));
            }
        }
        s.append(String.format("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>", w / 2, hgt + 28));
        if (curve.errors().size() == pts.size() && !curve.errors().isEmpty()) { // the 95% band of each point's mean
            StringBuilder band = new StringBuilder();
            for (int i = 0; i < pts.size(); i++) {
                band.append(String.format("%.1f,%.1f ", x.applyAsDouble(pts.get(i)[0]), y.applyAsDouble(pts.get(i)[1] + 1.96 * curve.error(i))));
            }
            for (int i = pts.size() - 1; i >= 0; i--) {
                band.append(String.format("%.1f,%.1f ", x.applyAsDouble(pts.get(i)[0]), y.applyAsDouble(pts.get(i)[1] - 1.96 * curve.error(i))));
            }
            s.append("<polygon fill=\"").append(curve.color()).append("\" fill-opacity=\"0.15\" stroke=\"none\" points=\"").append(band).append("\"/>");
        }
        s.append(polyline(pts, x, y, curve.color(), curve.smooth() ? 0.35 : 1.0));
        if (!smooth.isEmpty()) {
            s.append(polyline(smooth, x, y, curve.color(), 1.0));
        }
        for (double m : curve.marks()) {
            double mx = x.applyAsDouble(m);
            s.append(String.format("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#d62728\" stroke-width=\"2\"><title>step %s</title></line>",
                    mx, mx, hgt - 8, hgt, label(m)));
        }
        if (mark != null && mark >= minX && mark <= maxX) {
            double mx = x.applyAsDouble(mark);
            s.append(String.format("<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>", mx, mx, hgt));
        }
        return s.append("</g></svg>").toString();
    }

    private static String polyline(List<double[]> pts, java.util.function.DoubleUnaryOperator x, java.util.function.DoubleUnaryOperator y,
                                   String color, double opacity) {
        StringBuilder line = new StringBuilder();
        for (double[] p : pts) {
            line.append(String.format("%.1f,%.1f ", x.applyAsDouble(p[0]), y.applyAsDouble(p[1])));
        }
        return "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-opacity=\"" + opacity + "\" stroke-width=\"1.5\" points=\"" + line + "\"/>";
    }

    /** An exponential moving average, as TensorBoard's smoothing: about the last 20 points weigh in. */
    static List<double[]> ema(List<double[]> pts) {
        double alpha = 2.0 / (20 + 1);
        List<double[]> out = new java.util.ArrayList<>();
        double v = pts.get(0)[1];
        for (double[] p : pts) {
            v = alpha * p[1] + (1 - alpha) * v;
            out.add(new double[] {p[0], v});
        }
        return out;
    }

    /** About five round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]. */
    static double[] ticks(double lo, double hi) {
        double span = hi - lo;
        if (!(span > 0)) {
            return new double[] {lo};
        }
        double raw = span / 5, magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / magnitude < 1.5 ? magnitude : raw / magnitude < 3.5 ? 2 * magnitude : raw / magnitude < 7.5 ? 5 * magnitude : 10 * magnitude;
        double first = Math.floor(lo / step) * step;
        int n = (int) Math.ceil((hi - first) / step - 1e-9) + 1;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = first + i * step;
        }
        return out;
    }

    private static String label(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e7) {
            return String.valueOf((long) v);
        }
        return Math.abs(v) >= 0.01 ? String.format("%.3g", v) : String.format("%.2e", v);
    }

    private static String img(byte[] image, String label) { // PNG samples; the dataset's image is JPEG or PNG
        return "<td><img alt=\"\" src=\"data:" + ImageSniffer.mediaType(image) + ";base64,"
                + Base64.getEncoder().encodeToString(image) + "\">"
                + (label.isEmpty() ? "" : "<div class=cap>" + esc(label) + "</div>") + "</td>";
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
