package dev.cnf.activities.evaluate;

import dev.cnf.workflows.spec.Condition;

import dev.cnf.activities.models.annotator.Ade20k;
import dev.cnf.activities.storage.Locations;
import dev.cnf.activities.models.annotator.AnnotatorModel;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.storage.ObjectStore;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;

/**
 * ControlNet++'s controllability metrics for model-backed conditions: the annotator re-extracts the
 * condition from each generated sample and it is compared with the input condition. Depth: RMSE of the
 * normalised depth maps on the 0-255 scale (lower is better). Segmentation: mean IoU of ADE20K classes.
 */
final class AnnotatorProbe implements AutoCloseable {
    private final Condition condition;
    private final AnnotatorModel annotator;

    private AnnotatorProbe(Condition condition, AnnotatorModel annotator) {
        this.condition = condition;
        this.annotator = annotator;
    }

    /** @return a probe for depth or seg runs with a model, else null */
    static AnnotatorProbe forCondition(String condition, String model, ObjectStore store) {
        Condition c = Condition.of(condition).orElse(null);
        if (model == null || model.isBlank() || !(c == Condition.DEPTH || c == Condition.SEG)) {
            return null;
        }
        AnnotatorModel.Kind kind = c == Condition.DEPTH ? AnnotatorModel.Kind.DEPTH : AnnotatorModel.Kind.SEG;
        return new AnnotatorProbe(c, AnnotatorModel.load(Locations.localFile(model, store), kind));
    }

    String metric() {
        return condition == Condition.DEPTH ? "depthRMSE" : "segMIoU";
    }

    boolean lowerIsBetter() {
        return condition == Condition.DEPTH;
    }

    /** @param sample RGB CHW in [-1, 1]; @param conditionChw RGB CHW in [0, 1] */
    double score(float[] sample, float[] conditionChw, int width, int height) {
        Mat generated = OpenCv.fromChw(sample, width, height, -1f, 1f);
        Mat input = OpenCv.fromChw(conditionChw, width, height, 0f, 1f);
        if (condition == Condition.DEPTH) {
            Mat truth = new Mat();
            OpenCv.toGray(input).convertTo(truth, CvType.CV_32F, 1 / 255.0);
            Mat diff = new Mat();
            Core.subtract(annotator.depth(generated), truth, diff);
            return 255 * Math.sqrt(Core.mean(diff.mul(diff)).val[0]);
        }
        return Ade20k.meanIou(Ade20k.classesOf(input), annotator.classes(generated));
    }

    @Override
    public void close() {
        annotator.close();
    }
}
