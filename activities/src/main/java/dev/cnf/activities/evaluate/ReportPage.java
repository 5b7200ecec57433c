package dev.cnf.activities.evaluate;

import dev.cnf.activities.report.Html;
import dev.cnf.activities.report.LineChart;
import dev.cnf.activities.report.LineChart.Curve;

import java.util.List;
import java.util.Map;

/** The self-contained HTML report: images inline as data URIs, curves as inline SVG. */
final class ReportPage {
    /** One held-out condition: its caption, the condition, one image per column, and a label under each. */
    record Row(String caption, byte[] conditionPng, List<byte[]> images, List<String> labels) {}

    /** A metric of this version beside the previous published one (null where there is none). */
    record Comparison(String metric, double value, Double previous) {}

    private ReportPage() {}

    static String render(String title, Map<String, Object> summary, Map<String, Integer> dropped, List<Curve> curves,
                         Integer convergedStep, List<Comparison> metrics, String previousVersion, List<String> columns, List<Row> rows,
                         List<Row> validation) {
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
            h.append("<h3>").append(esc(c.title())).append("</h3>").append(LineChart.svg(List.of(c), convergedStep));
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
        h.append("</table>");
        if (!validation.isEmpty()) {
            h.append("<h2>Validation images</h2><p>The conditions and prompts given as validationImages and validationPrompts,")
                    .append(" sampled with control at every evaluation.</p><table><tr><th>prompt</th><th>condition</th><th>sample</th></tr>");
            for (Row r : validation) {
                h.append("<tr><td class=cap>").append(esc(r.caption())).append("</td>").append(img(r.conditionPng(), ""))
                        .append(img(r.images().get(0), r.labels().get(0))).append("</tr>");
            }
            h.append("</table>");
        }
        return h.append("</body></html>").toString();
    }

    private static String img(byte[] image, String label) {
        return "<td>" + Html.img(image) + (label.isEmpty() ? "" : "<div class=cap>" + esc(label) + "</div>") + "</td>";
    }

    private static String esc(String s) {
        return Html.esc(s);
    }
}
