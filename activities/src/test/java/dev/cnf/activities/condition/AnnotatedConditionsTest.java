package dev.cnf.activities.condition;

import dev.cnf.activities.conditions.ConditionExtractor;
import dev.cnf.activities.conditions.Conditions;

import dev.cnf.activities.models.annotator.Ade20k;
import dev.cnf.activities.models.annotator.AnnotatorModel;
import dev.cnf.activities.imaging.OpenCv;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Rect;
import org.opencv.core.Scalar;
import org.opencv.imgproc.Imgproc;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Model-backed conditions through real models on DJL: the tiny annotators in src/test/resources/annotators
 * (made by src/test/python/make_annotators.py) have hand-set weights, so their outputs are known; each
 * runs as TorchScript (PyTorch engine) and as ONNX (onnxruntime) with the same expectations.
 */
class AnnotatedConditionsTest {
    @BeforeAll
    static void load() {
        OpenCv.load();
    }

    /** @param format "pt" (TorchScript on the PyTorch engine) or "onnx" (onnxruntime): the same model in both */
    static Path model(String name, String format) throws Exception {
        return Path.of(AnnotatedConditionsTest.class.getResource("/annotators/" + name + "." + format).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"pt", "onnx"})
    void depthIsBlurredLuminanceScaledToTheImageAndNormalFollowsItsSlope(String format) throws Exception {
        Mat ramp = new Mat(64, 96, CvType.CV_8UC3);
        for (int x = 0; x < 96; x++) {
            Imgproc.line(ramp, new Point(x, 0), new Point(x, 63), new Scalar(x * 2.5, x * 2.5, x * 2.5));
        }
        try (AnnotatorModel depth = AnnotatorModel.load(model("depth", format), AnnotatorModel.Kind.DEPTH)) {
            ConditionExtractor.Extracted d = Conditions.withAnnotator("depth", depth).extract(ramp, new SplittableRandom(1));
            assertEquals(96, d.image().cols());
            assertEquals(64, d.image().rows());
            double left = d.image().get(32, 5)[0], middle = d.image().get(32, 48)[0], right = d.image().get(32, 90)[0];
            assertTrue(left < middle && middle < right, "brighter is nearer: " + left + " " + middle + " " + right);
            assertTrue(right > 240 && left < 15, "min-max normalised");

            Mat n = Conditions.withAnnotator("normal", depth).extract(ramp, new SplittableRandom(1)).image();
            double[] bgr = n.get(32, 60);
            assertTrue(bgr[2] > 140, "R (x component) leans with the slope: " + java.util.Arrays.toString(bgr));
            assertEquals(128, bgr[1], 3, "G (y component) flat across rows");
            assertTrue(bgr[0] > 128 && bgr[0] < bgr[2], "B (z) toward the viewer, less than the steep x slope");
            assertArrayEquals(new double[] {255, 128, 128}, n.get(32, 2), 1.0, "background (depth < 0.1) faces the viewer");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pt", "onnx"})
    void segPaintsAde20kColoursAndScoresItself(String format) throws Exception {
        Mat img = new Mat(64, 64, CvType.CV_8UC3, new Scalar(255, 153, 102)); // sky (BGR of 0.4,0.6,1.0)
        img.submat(new Rect(0, 32, 64, 32)).setTo(new Scalar(26, 153, 26)); // tree
        try (AnnotatorModel seg = AnnotatorModel.load(model("seg", format), AnnotatorModel.Kind.SEG)) {
            Mat out = Conditions.withAnnotator("seg", seg).extract(img, new SplittableRandom(1)).image();
            assertArrayEquals(new double[] {230, 230, 6}, out.get(5, 5), "sky = class 2 = RGB (6, 230, 230)");
            assertArrayEquals(new double[] {3, 200, 4}, out.get(60, 5), "tree = class 4 = RGB (4, 200, 3)");
            Mat classes = Ade20k.classesOf(out);
            assertEquals(2, (int) classes.get(5, 5)[0]);
            // scored against the classes the picture was drawn with, not against the model's own output (always 1.0)
            Mat drawn = new Mat(64, 64, CvType.CV_32S, new Scalar(2));
            drawn.submat(new Rect(0, 32, 64, 32)).setTo(new Scalar(4));
            assertEquals(1.0, Ade20k.meanIou(classes, drawn), 1e-9, "the painted map has the drawn sky and tree");
            assertEquals(1.0, Ade20k.meanIou(seg.classes(img), drawn), 1e-9, "and so has the model's class map");
            Mat wrong = classes.clone();
            wrong.submat(new Rect(0, 32, 64, 32)).setTo(new Scalar(2));
            assertEquals((0.5 + 0) / 2, Ade20k.meanIou(classes, wrong), 1e-9, "sky IoU 1/2, tree IoU 0");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pt", "onnx"})
    void poseFindsEachKeypointAndDrawsTheReferenceSkeleton(String format) throws Exception {
        Mat img = new Mat(128, 128, CvType.CV_8UC3, new Scalar(0, 0, 0));
        int[][] at = new int[18][];
        for (int k = 0; k < 18; k++) {
            at[k] = new int[] {10 + (k % 6) * 20, 20 + (k / 6) * 35};
            double[] c = {(k * 37) % 256, (k * 91 + 60) % 256, (k * 53 + 120) % 256}; // make_annotators.pose_colour, BGR
            Imgproc.circle(img, new Point(at[k][0], at[k][1]), 1, new Scalar(c), -1); // a peak, as real heatmaps have
        }
        try (AnnotatorModel pose = AnnotatorModel.load(model("pose", format), AnnotatorModel.Kind.POSE)) {
            float[][] kps = pose.keypoints(img);
            for (int k = 0; k < 18; k++) {
                assertEquals(at[k][0], kps[k][0], 2.0, "x of keypoint " + k);
                assertEquals(at[k][1], kps[k][1], 2.0, "y of keypoint " + k);
                assertTrue(kps[k][2] > 0.5);
            }
            Mat drawn = Conditions.withAnnotator("pose", pose).extract(img, new SplittableRandom(1)).image();
            assertTrue(org.opencv.core.Core.countNonZero(OpenCv.toGray(drawn)) > 500, "limbs drawn");
            assertEquals(0, OpenCv.toGray(drawn).get(127, 127)[0], "black background");
        }
    }

    @Test
    void aMissingOrBrokenModelIsNamed() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> AnnotatorModel.load(Path.of("/nonexistent/midas.pt"), AnnotatorModel.Kind.DEPTH));
        assertTrue(missing.getMessage().contains("/nonexistent/midas.pt"));
        assertThrows(IllegalArgumentException.class, () -> Conditions.byName("depth"));
        assertTrue(Conditions.names().containsAll(List.of("canny", "depth", "normal", "pose", "seg")));
    }
}
