package dev.cnf.activities.evaluate;

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
    record Curve(String title, List<double[]> points, String color) {}

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

    /** A line chart of one curve with its value range and step range labelled, and the converged step marked. */
    static String svg(Curve curve, Integer mark) {
        int w = 600, hgt = 160;
        List<double[]> pts = curve.points().stream().filter(p -> Double.isFinite(p[1])).toList();
        if (pts.isEmpty()) {
            return "<p>no data</p>";
        }
        double minX = pts.get(0)[0], maxX = pts.get(pts.size() - 1)[0];
        double minY = pts.stream().mapToDouble(p -> p[1]).min().orElse(0);
        double maxY = pts.stream().mapToDouble(p -> p[1]).max().orElse(1);
        double spanX = Math.max(maxX - minX, 1e-12), spanY = Math.max(maxY - minY, 1e-12);
        StringBuilder line = new StringBuilder();
        for (double[] p : pts) {
            line.append(String.format("%.1f,%.1f ", (p[0] - minX) / spanX * w, hgt - (p[1] - minY) / spanY * hgt));
        }
        StringBuilder s = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + (w + 80) + "\" height=\"" + (hgt + 30) + "\">")
                .append("<g transform=\"translate(60,5)\"><rect width=\"").append(w).append("\" height=\"").append(hgt)
                .append("\" fill=\"#fafafa\" stroke=\"#ccc\"/>")
                .append("<polyline fill=\"none\" stroke=\"").append(curve.color()).append("\" stroke-width=\"1.5\" points=\"").append(line).append("\"/>");
        if (mark != null && mark >= minX && mark <= maxX) {
            double x = (mark - minX) / spanX * w;
            s.append(String.format("<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>", x, x, hgt));
        }
        s.append(String.format("<text x=\"-55\" y=\"10\" font-size=\"11\">%.4f</text><text x=\"-55\" y=\"%d\" font-size=\"11\">%.4f</text>", maxY, hgt, minY))
                .append(String.format("<text x=\"0\" y=\"%d\" font-size=\"11\">step %.0f</text><text x=\"%d\" y=\"%d\" font-size=\"11\">step %.0f</text>",
                        hgt + 20, minX, w - 60, hgt + 20, maxX));
        return s.append("</g></svg>").toString();
    }

    private static String img(byte[] png, String label) {
        return "<td><img alt=\"\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\">"
                + (label.isEmpty() ? "" : "<div class=cap>" + esc(label) + "</div>") + "</td>";
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
