package dev.cnf.activities.report;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/** Line charts as inline SVG, for the evaluation and study reports: one or more series over training steps. */
public final class LineChart {
    private LineChart() {}

    /**
     * A series to plot: (step, value) points.
     *
     * @param title  the chart's heading for a single series; the legend's entry where several share a chart
     * @param errors standard errors of the points (a 95% band is drawn), or empty
     * @param marks  steps to mark below the curve (skipped, non-finite steps), or empty
     * @param smooth draw an exponential moving average over the faded raw curve
     */
    public record Curve(String title, List<double[]> points, String color, List<Double> errors, List<Double> marks, boolean smooth) {
        public Curve(String title, List<double[]> points, String color) {
            this(title, points, color, List.of(), List.of(), false);
        }

        double error(int i) {
            return i < errors.size() && Double.isFinite(errors.get(i)) ? errors.get(i) : 0;
        }

        List<double[]> finite() {
            return points.stream().filter(p -> Double.isFinite(p[1])).toList();
        }
    }

    /**
     * A line chart of the curves on shared axes: gridlines with tick labels, {@code mark} (the converged step) dashed,
     * each curve's marks (e.g. skipped steps) in red below; a legend when there are several curves.
     */
    public static String svg(List<Curve> curves, Integer mark) {
        int w = 600, hgt = 160;
        List<Curve> drawn = curves.stream().filter(c -> !c.finite().isEmpty()).toList();
        if (drawn.isEmpty()) {
            return "<p>no data</p>";
        }
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        for (Curve c : drawn) {
            List<double[]> pts = c.finite();
            minX = Math.min(minX, pts.get(0)[0]);
            maxX = Math.max(maxX, pts.get(pts.size() - 1)[0]);
            for (int i = 0; i < pts.size(); i++) {
                double band = 1.96 * c.error(i);
                minY = Math.min(minY, pts.get(i)[1] - band);
                maxY = Math.max(maxY, pts.get(i)[1] + band);
            }
        }
        double[] yTicks = ticks(minY, maxY);
        double bottom = Math.min(minY, yTicks[0]), top = Math.max(maxY, yTicks[yTicks.length - 1]);
        double spanX = Math.max(maxX - minX, 1e-12), spanY = Math.max(top - bottom, 1e-12);
        double x0 = minX;
        DoubleUnaryOperator x = v -> (v - x0) / spanX * w;
        DoubleUnaryOperator y = v -> hgt - (v - bottom) / spanY * hgt;
        int legend = drawn.size() > 1 ? 16 * drawn.size() + 8 : 0;
        StringBuilder s = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + (w + 90) + "\" height=\"" + (hgt + 40 + legend) + "\">")
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
        for (Curve curve : drawn) {
            List<double[]> pts = curve.finite();
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
            if (curve.smooth()) {
                s.append(polyline(ema(pts), x, y, curve.color(), 1.0));
            }
            for (double m : curve.marks()) {
                double mx = x.applyAsDouble(m);
                s.append(String.format("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#d62728\" stroke-width=\"2\"><title>step %s</title></line>",
                        mx, mx, hgt - 8, hgt, label(m)));
            }
        }
        if (mark != null && mark >= minX && mark <= maxX) {
            double mx = x.applyAsDouble(mark);
            s.append(String.format("<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>", mx, mx, hgt));
        }
        if (legend > 0) {
            for (int i = 0; i < drawn.size(); i++) {
                int ly = hgt + 44 + 16 * i;
                s.append(String.format("<line x1=\"0\" x2=\"24\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/><text x=\"30\" y=\"%d\">%s</text>",
                        ly, ly, drawn.get(i).color(), ly + 4, Html.esc(drawn.get(i).title())));
            }
        }
        return s.append("</g></svg>").toString();
    }

    private static String polyline(List<double[]> pts, DoubleUnaryOperator x, DoubleUnaryOperator y, String color, double opacity) {
        StringBuilder line = new StringBuilder();
        for (double[] p : pts) {
            line.append(String.format("%.1f,%.1f ", x.applyAsDouble(p[0]), y.applyAsDouble(p[1])));
        }
        return "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-opacity=\"" + opacity + "\" stroke-width=\"1.5\" points=\"" + line + "\"/>";
    }

    /** An exponential moving average, as TensorBoard's smoothing: about the last 20 points weigh in. */
    public static List<double[]> ema(List<double[]> pts) {
        double alpha = 2.0 / (20 + 1);
        List<double[]> out = new ArrayList<>();
        double v = pts.get(0)[1];
        for (double[] p : pts) {
            v = alpha * p[1] + (1 - alpha) * v;
            out.add(new double[] {p[0], v});
        }
        return out;
    }

    /** About five round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]. */
    public static double[] ticks(double lo, double hi) {
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
}
