package dev.cnf.activities.conditions;

import dev.cnf.activities.models.annotator.AnnotatorModel;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.storage.Locations;
import dev.cnf.activities.storage.ObjectStore;
import io.temporal.failure.ApplicationFailure;
import org.opencv.core.Mat;

import java.util.SplittableRandom;

/**
 * Extracts one run's condition and stores it beside the sample. Used where the image is already
 * decoded (the clean shards) and by the condition stage for samples that have none yet. The random
 * source per sample is (seed, sample hash), so wherever it runs the result is the same.
 */
public final class ConditionRunner implements AutoCloseable {
    private final ConditionExtractor condition;
    private final AnnotatorModel annotator;
    private final ObjectStore store;

    private ConditionRunner(ConditionExtractor condition, AnnotatorModel annotator, ObjectStore store) {
        this.condition = condition;
        this.annotator = annotator;
        this.store = store;
    }

    /** @throws ApplicationFailure (non-retryable InvalidInput) for an unknown condition or an unusable annotator model */
    public static ConditionRunner open(String name, String annotatorModel, ObjectStore store) {
        OpenCv.load();
        try {
            AnnotatorModel.Kind kind = Conditions.annotatorKind(name);
            if (kind == null) {
                return new ConditionRunner(Conditions.byName(name), null, store);
            }
            AnnotatorModel annotator = AnnotatorModel.load(Locations.localFile(annotatorModel, store), kind);
            return new ConditionRunner(Conditions.withAnnotator(name, annotator), annotator, store);
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), "InvalidInput");
        }
    }

    public String name() {
        return condition.name();
    }

    public static String key(String runPrefix, String condition, String sha256) {
        return runPrefix + "/condition/" + condition + "/" + sha256 + ".png";
    }

    /** @param image the sample's training image (square, at the training resolution), BGR */
    public Sample apply(Sample s, Mat image, String runPrefix, long seed) {
        SplittableRandom random = new SplittableRandom(seed ^ Long.parseUnsignedLong(s.sha256().substring(0, 15), 16));
        ConditionExtractor.Extracted ex = condition.extract(image, random);
        String key = key(runPrefix, condition.name(), s.sha256());
        store.put(key, OpenCv.encodeCompactPng(ex.image()), "image/png");
        ex.image().release();
        return s.withCondition(key, ex.params());
    }

    @Override
    public void close() {
        if (annotator != null) {
            annotator.close();
        }
    }
}
