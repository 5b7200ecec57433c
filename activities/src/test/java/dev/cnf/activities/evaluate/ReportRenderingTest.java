package dev.cnf.activities.evaluate;

import dev.cnf.activities.Prerequisites;
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
                List.of(new ReportPage.Curve("training loss", loss, "#1f77b4")), 40,
                List.of(new ReportPage.Comparison("edge F1", 0.4, 0.35)), "v1", List.of("prompt: automatic", "no control", "original"), rows);
    }

    @Test
    void theReportIsSelfContained() {
        String html = page();
        assertFalse(html.contains("src=\"http"), "no external resources");
        assertTrue(html.contains("<svg") && html.contains("stroke-dasharray"), "curves with the convergence mark");
        assertTrue(html.contains("+0.050"), "the change against the previous version");
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
