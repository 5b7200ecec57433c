package dev.cnf.activities.evaluate;

import dev.cnf.activities.report.LineChart;
import dev.cnf.model.Prerequisites;
import dev.cnf.activities.imaging.OpenCv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.Core;
import org.opencv.core.Mat;
import org.opencv.core.MatOfDouble;
import org.opencv.core.Rect;
import org.opencv.imgcodecs.Imgcodecs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The report in a real browser: scripts/report-screenshot.sh renders it in headless Chromium and the
 * screenshot must show the page (text, curves and the image grid), not a blank or broken one.
 * Skipped where Chromium is not installed (apt-get install -y chromium).
 */
class ReportRenderingTest {

    static byte[] png(int shade) {
        OpenCv.load();
        Mat m = new Mat(64, 64, org.opencv.core.CvType.CV_8UC3, new org.opencv.core.Scalar(shade, 255 - shade, 128));
        return OpenCv.encodePng(m);
    }

    static String page() {
        List<double[]> loss = new ArrayList<>();
        for (int s = 0; s <= 100; s++) {
            loss.add(new double[] {s, 1.0 / (1 + s)});
        }
        List<ReportPage.Row> rows = List.of(
                new ReportPage.Row("red circle", png(0), List.of(png(60), png(120), png(180)), List.of("F1 0.40", "F1 0.10", "")),
                new ReportPage.Row("blue circle", png(30), List.of(png(90), png(150), png(210)), List.of("F1 0.50", "F1 0.20", "")));
        return ReportPage.render("ControlNet evaluation: test", Map.of("model", "test"), Map.of("TOO_SMALL", 2),
                List.of(new LineChart.Curve("training loss", loss, "#1f77b4", List.of(), List.of(17.0, 63.0), true),
                        new LineChart.Curve("probe", List.of(new double[] {0, 0.1}, new double[] {50, 0.3}, new double[] {100, 0.4}), "#d62728",
                                List.of(0.01, 0.03, 0.02), List.of(), false)), 40,
                List.of(new ReportPage.Comparison("edge F1", 0.4, 0.35)), "v1", List.of("prompt: automatic", "no control", "original"), rows,
                List.of(new ReportPage.Row("a user's sketch", png(40), List.of(png(200)), List.of("F1 0.33"))));
    }

    @Test
    void theReportIsSelfContained() {
        String html = page();
        assertFalse(html.contains("src=\"http"), "no external resources");
        assertTrue(html.contains("<svg") && html.contains("stroke-dasharray"), "curves with the convergence mark");
        assertTrue(html.contains("+0.050"), "the change against the previous version");
        assertTrue(html.contains("Validation images") && html.contains("a user&#39;s sketch") || html.contains("a user's sketch"),
                "the user's validation pairs have their own section");
    }

    @Test
    void curvesHaveTicksASmoothedLineMarksAndABand() {
        String html = page();
        assertEquals(3, html.split("<polyline", -1).length - 1, "raw and smoothed loss, and the probe");
        assertTrue(html.contains("stroke-opacity=\"0.35\""), "the raw loss is faded beside its smoothed line");
        assertTrue(html.contains("<title>step 17</title>") && html.contains("<title>step 63</title>"), "skipped steps marked");
        assertTrue(html.contains("<polygon") && html.contains("fill-opacity=\"0.15\""), "the probe's 95% band");
        assertTrue(html.contains(">step</text>"), "a labelled step axis");
        assertArrayEquals(new double[] {0, 0.2, 0.4, 0.6, 0.8, 1.0}, LineChart.ticks(0.03, 0.97), 1e-12, "round ticks");
        assertArrayEquals(new double[] {0, 20, 40, 60, 80, 100}, LineChart.ticks(0, 100), 1e-12);
    }

    @Test
    void chromiumRendersTheReport(@TempDir Path dir) throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        Prerequisites.require(Files.isExecutable(chromium), "Chromium not installed (apt-get install -y chromium)");
        Path html = dir.resolve("report.html");
        Files.writeString(html, page());
        Path shot = dir.resolve("report.png");
        Path script = Path.of("..", "scripts", "report-screenshot.sh").toAbsolutePath().normalize();
        Process p = new ProcessBuilder(script.toString(), html.toString(), shot.toString(), "1000", "1400")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        Mat img = Imgcodecs.imread(shot.toString());
        assertEquals(1000, img.cols());
        assertEquals(1400, img.rows());
        // The title band has dark text on white; the grid further down has the coloured sample images.
        MatOfDouble mean = new MatOfDouble();
        MatOfDouble std = new MatOfDouble();
        Core.meanStdDev(img.submat(new Rect(0, 0, 1000, 80)), mean, std);
        assertTrue(std.toArray()[0] > 10, "the title renders (pixel spread " + std.toArray()[0] + ")");
        Mat hsv = new Mat();
        org.opencv.imgproc.Imgproc.cvtColor(img, hsv, org.opencv.imgproc.Imgproc.COLOR_BGR2HSV);
        List<Mat> channels = new ArrayList<>();
        Core.split(hsv, channels);
        Mat saturated = new Mat();
        Core.compare(channels.get(1), new org.opencv.core.Scalar(100), saturated, Core.CMP_GT);
        assertTrue(Core.countNonZero(saturated) > 5 * 64 * 64, "the inline PNG grid renders ("
                + Core.countNonZero(saturated) + " saturated pixels)");
    }
}
