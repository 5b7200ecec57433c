package dev.cnf.activities.conditions;

import dev.cnf.workflows.spec.Condition;

import dev.cnf.activities.models.annotator.Ade20k;
import dev.cnf.activities.models.annotator.OpenPoseSkeleton;
import dev.cnf.activities.models.annotator.AnnotatorModel;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.opencv.imgproc.Imgproc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The model-backed conditions: depth, normal (from depth), seg and pose, each over a {@link AnnotatorModel}. */
final class AnnotatedConditions {
    private AnnotatedConditions() {}

    /** Which annotator a model-backed condition needs, or null for the classical ones. */
    static AnnotatorModel.Kind kindOf(String condition) {
        return switch (Condition.of(condition).orElse(Condition.CANNY)) {
            case DEPTH, NORMAL -> AnnotatorModel.Kind.DEPTH;
            case SEG -> AnnotatorModel.Kind.SEG;
            case POSE -> AnnotatorModel.Kind.POSE;
            default -> null;
        };
    }

    static ConditionExtractor create(String condition, AnnotatorModel annotator) {
        return switch (Condition.of(condition).orElse(Condition.CANNY)) {
            case DEPTH -> new Depth(annotator);
            case NORMAL -> new Normal(annotator);
            case SEG -> new Seg(annotator);
            case POSE -> new Pose(annotator);
            default -> throw new IllegalArgumentException("'" + condition + "' is not a model-backed condition");
        };
    }

    /** MiDaS-style relative inverse depth as a grey image (white = near). */
    record Depth(AnnotatorModel annotator) implements ConditionExtractor {
        @Override
        public String name() {
            return Condition.DEPTH.id();
        }

        @Override
        public Extracted extract(Mat bgr, SplittableRandom random) {
            return new Extracted(grey(annotator.depth(bgr)), Map.of("annotator", Condition.DEPTH.id()));
        }

        static Mat grey(Mat unit) {
            Mat g = new Mat();
            unit.convertTo(g, CvType.CV_8U, 255);
            return g;
        }
    }

    /**
     * Normals from the depth map as ControlNet 1.0's MiDaS normal annotator made them: Sobel x and y of
     * the depth (here on the 0-255 scale of the depth image), z = 2π, gradients zeroed where the normalised
     * depth is under 0.1 (background), unit length, mapped to RGB as n·127.5 + 127.5.
     */
    record Normal(AnnotatorModel annotator) implements ConditionExtractor {
        static final double Z = 2 * Math.PI;
        static final double BACKGROUND = 0.1;

        @Override
        public String name() {
            return Condition.NORMAL.id();
        }

        @Override
        public Extracted extract(Mat bgr, SplittableRandom random) {
            Mat unit = annotator.depth(bgr);
            Mat scaled = new Mat();
            unit.convertTo(scaled, CvType.CV_32F, 255);
            Mat gx = new Mat(), gy = new Mat();
            Imgproc.Sobel(scaled, gx, CvType.CV_32F, 1, 0, 3);
            Imgproc.Sobel(scaled, gy, CvType.CV_32F, 0, 1, 3);
            Mat background = new Mat();
            Core.compare(unit, new Scalar(BACKGROUND), background, Core.CMP_LT);
            gx.setTo(new Scalar(0), background);
            gy.setTo(new Scalar(0), background);
            Mat z = new Mat(gx.size(), CvType.CV_32F, new Scalar(Z));
            Mat norm = new Mat();
            Core.magnitude(gx, gy, norm);
            Core.multiply(norm, norm, norm);
            Core.add(norm, new Scalar(Z * Z), norm);
            Core.sqrt(norm, norm);
            List<Mat> rgb = new ArrayList<>();
            for (Mat c : List.of(gx, gy, z)) {
                Mat u = new Mat();
                Core.divide(c, norm, u);
                Mat b = new Mat();
                u.convertTo(b, CvType.CV_8U, 127.5, 127.5);
                rgb.add(b);
            }
            Mat out = new Mat();
            Core.merge(List.of(rgb.get(2), rgb.get(1), rgb.get(0)), out); // stored BGR: B = z, G = y, R = x
            return new Extracted(out, Map.of("annotator", Condition.DEPTH.id(), "z", Z, "backgroundThreshold", BACKGROUND));
        }
    }

    /** ADE20K classes in the reference palette. */
    record Seg(AnnotatorModel annotator) implements ConditionExtractor {
        @Override
        public String name() {
            return Condition.SEG.id();
        }

        @Override
        public Extracted extract(Mat bgr, SplittableRandom random) {
            return new Extracted(Ade20k.colourise(annotator.classes(bgr)), Map.of("annotator", Condition.SEG.id(), "palette", "ade20k"));
        }
    }

    /**
     * OpenPose-style body skeleton. One person: each keypoint is its heatmap's maximum (the reference's
     * multi-person part-affinity grouping is not implemented).
     */
    record Pose(AnnotatorModel annotator) implements ConditionExtractor {
        static final double THRESHOLD = 0.3;

        @Override
        public String name() {
            return Condition.POSE.id();
        }

        @Override
        public Extracted extract(Mat bgr, SplittableRandom random) {
            float[][] kps = annotator.keypoints(bgr);
            List<List<Double>> points = new ArrayList<>();
            for (float[] k : kps) {
                points.add(List.of((double) k[0], (double) k[1], (double) k[2]));
            }
            return new Extracted(OpenPoseSkeleton.draw(bgr.rows(), bgr.cols(), kps, THRESHOLD),
                    Map.of("annotator", Condition.POSE.id(), "keypoints", points, "threshold", THRESHOLD));
        }
    }
}
