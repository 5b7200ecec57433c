package dev.cnf.activities.evaluate;

import java.util.Base64;
import java.util.List;
import java.util.Map;

/** The self-contained HTML report: images inline as data URIs, curves as inline SVG. */
final class ReportPage {
    record Row(String caption, byte[] conditionPng, byte[] samplePng, byte[] uncontrolledPng, byte[] originalPng, double f1) {}

    private ReportPage() {}

    static String render(String title, Map<String, Object> summary, Map<String, Integer> dropped, List<Double> losses, List<Row> rows) {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title><style>")
                .append("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}img{width:128px;height:128px;image-rendering:pixelated}")
                .append(".cap{max-width:220px;font-size:12px}</style></head><body>");
        h.append("<h1>").append(esc(title)).append("</h1><h2>Summary</h2><table>");
        summary.forEach((k, v) -> h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(String.valueOf(v))).append("</td></tr>"));
        h.append("</table><h2>Cleaning: drops by reason</h2><table><tr><th>reason</th><th>count</th></tr>");
        if (dropped.isEmpty()) {
            h.append("<tr><td colspan=2>nothing dropped</td></tr>");
        }
        dropped.forEach((k, v) -> h.append("<tr><td>").append(esc(k)).append("</td><td>").append(v).append("</td></tr>"));
        h.append("</table><h2>Training loss</h2>").append(lossSvg(losses));
        h.append("<h2>Samples</h2><table><tr><th>caption</th><th>condition</th><th>sample (control 1.0)</th>"
                + "<th>no control (floor)</th><th>original</th><th>edge F1</th></tr>");
        for (Row r : rows) {
            h.append("<tr><td class=cap>").append(esc(r.caption())).append("</td>")
                    .append(img(r.conditionPng())).append(img(r.samplePng())).append(img(r.uncontrolledPng())).append(img(r.originalPng()))
                    .append("<td>").append(String.format("%.3f", r.f1())).append("</td></tr>");
        }
        return h.append("</table></body></html>").toString();
    }

    private static String img(byte[] png) {
        return "<td><img alt=\"\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\"></td>";
    }

    static String lossSvg(List<Double> losses) {
        int w = 600, hgt = 200;
        if (losses.isEmpty()) {
            return "<p>no training steps</p>";
        }
        double max = losses.stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).max().orElse(1);
        double min = losses.stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).min().orElse(0);
        double span = Math.max(max - min, 1e-12);
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < losses.size(); i++) {
            double x = losses.size() == 1 ? 0 : (double) i / (losses.size() - 1) * w;
            double y = hgt - (losses.get(i) - min) / span * hgt;
            pts.append(String.format("%.1f,%.1f ", x, Double.isFinite(y) ? y : hgt));
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + (w + 80) + "\" height=\"" + (hgt + 30) + "\">"
                + "<g transform=\"translate(60,5)\"><rect width=\"" + w + "\" height=\"" + hgt + "\" fill=\"#fafafa\" stroke=\"#ccc\"/>"
                + "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"" + pts + "\"/>"
                + String.format("<text x=\"-55\" y=\"10\" font-size=\"11\">%.4f</text><text x=\"-55\" y=\"%d\" font-size=\"11\">%.4f</text>", max, hgt, min)
                + "<text x=\"0\" y=\"" + (hgt + 20) + "\" font-size=\"11\">step 1</text><text x=\"" + (w - 50) + "\" y=\"" + (hgt + 20)
                + "\" font-size=\"11\">step " + losses.size() + "</text></g></svg>";
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
