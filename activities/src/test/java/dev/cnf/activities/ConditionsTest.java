package dev.cnf.activities;

import dev.cnf.activities.conditions.ConditionExtractor;
import dev.cnf.activities.conditions.Conditions;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.workflows.spec.Condition;
import org.junit.jupiter.api.Test;
import org.opencv.core.Core;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.imgcodecs.Imgcodecs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every condition on a committed real photo (OpenCV's fruits.jpg from Debian's opencv-doc), and Canny against OpenCV's
 * own Canny from Python on the same grey input: the one independent reference here.
 *
 * <p>The recorded images of the other conditions (hough, lineart, scribble, sketch, softedge) were written by this Java
 * code itself: {@link #everyConditionIsUnchangedFromItsRecordedImage} is a regression check that catches unintended
 * changes, not a proof that a recipe is right. Re-record after an intended change with
 * -Dcnf.writeGoldens=$PWD/activities/src/test/resources/golden.
 */
class ConditionsTest {
    static {
        OpenCv.load();
    }

    static byte[] resource(String path) throws IOException {
        try (InputStream in = ConditionsTest.class.getResourceAsStream(path)) {
            assertNotNull(in, "missing resource " + path);
            return in.readAllBytes();
        }
    }

    static Mat photo() throws IOException {
        return OpenCv.resizeCenterCrop(OpenCv.decodeBgr(resource("/dev/cnf/datasets/photos/fruits.jpg")), 256);
    }

    static int differingPixels(Mat a, Mat b) {
        assertEquals(a.size(), b.size());
        assertEquals(a.channels(), b.channels());
        Mat diff = new Mat();
        Core.absdiff(a, b, diff);
        return Core.countNonZero(diff.reshape(1));
    }

    @Test
    void cannyEqualsOpenCvsOwnCannyFromPython() throws IOException {
        Mat gray = Imgcodecs.imdecode(new MatOfByte(resource("/golden/fruits_256_gray.png")), Imgcodecs.IMREAD_GRAYSCALE);
        Mat reference = Imgcodecs.imdecode(new MatOfByte(resource("/golden/canny_opencv_python.png")), Imgcodecs.IMREAD_GRAYSCALE);
        Mat ours = OpenCv.canny(gray, 100, 200);
        assertTrue(Core.countNonZero(ours) > 1000, "a real photo has edges");
        assertEquals(0, differingPixels(ours, reference), "our Canny (OpenCV " + Core.VERSION + ") vs Python's cv2.Canny (4.6)");
    }

    @Test
    void everyConditionIsUnchangedFromItsRecordedImage() throws IOException {
        Mat photo = photo();
        String write = System.getProperty("cnf.writeGoldens", "");
        for (String name : Conditions.classicalNames()) {
            ConditionExtractor.Extracted e = Conditions.byName(name).extract(photo, new SplittableRandom(7));
            assertEquals(photo.size(), e.image().size(), name);
            assertEquals(1, e.image().channels(), name + " is a grey map");
            assertTrue(Core.countNonZero(e.image()) > 100, name + " is not empty on a real photo");
            // what the condition stage stores and training reads back
            Mat stored = OpenCv.decodeBgr(OpenCv.encodeCompactPng(e.image()));
            if (!write.isBlank()) {
                Files.write(Path.of(write, name + ".png"), OpenCv.encodePng(stored));
                continue;
            }
            Mat golden = Imgcodecs.imdecode(new MatOfByte(resource("/golden/" + name + ".png")), Imgcodecs.IMREAD_COLOR);
            assertEquals(0, differingPixels(stored, golden), name + " differs from the image recorded from this code (regression check; re-record if intended)");
        }
    }

    @Test
    void conditionsAreDeterministicForASeedAndRecordTheirChoices() throws IOException {
        Mat photo = photo();
        for (String name : Conditions.classicalNames()) {
            ConditionExtractor c = Conditions.byName(name);
            ConditionExtractor.Extracted a = c.extract(photo, new SplittableRandom(3));
            ConditionExtractor.Extracted b = c.extract(photo, new SplittableRandom(3));
            assertEquals(0, differingPixels(a.image(), b.image()), name);
            assertEquals(a.params(), b.params(), name);
        }
        ConditionExtractor scribble = Conditions.byName("scribble");
        assertNotEquals(scribble.extract(photo, new SplittableRandom(3)).params(), scribble.extract(photo, new SplittableRandom(4)).params(),
                "scribbles are randomised per image");
        assertTrue(Conditions.byName("canny").extract(photo, new SplittableRandom(3)).params().containsKey("low"));
    }

    @Test
    void everyConditionTheInputAcceptsHasAnExtractor() {
        for (Condition c : Condition.values()) {
            if (c.modelBacked()) {
                assertNotNull(Conditions.annotatorKind(c.id()), c + " needs an annotator kind");
            } else {
                assertNotNull(Conditions.byName(c.id()), c.id());
            }
        }
        assertEquals(Set.copyOf(Condition.ids()), Conditions.names());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conditions.byName("mlsd"));
        assertTrue(e.getMessage().contains("canny"), e.getMessage());
    }
}
