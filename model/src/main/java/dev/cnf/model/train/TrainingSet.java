package dev.cnf.model.train;

import java.util.List;

/**
 * Training pairs in memory: images CHW in [-1, 1], conditions CHW in [0, 1], and captions, all at
 * the config's sample size.
 */
public record TrainingSet(List<float[]> images, List<float[]> conditions, List<String> captions) {
    public TrainingSet {
        if (images.isEmpty() || images.size() != conditions.size() || images.size() != captions.size()) {
            throw new IllegalArgumentException("training set needs equally many (>0) images, conditions and captions; got "
                    + images.size() + "/" + conditions.size() + "/" + captions.size());
        }
    }

    public int size() {
        return images.size();
    }

    /** The (square) image side in pixels. */
    public int resolution() {
        return (int) Math.round(Math.sqrt(images.get(0).length / 3.0));
    }
}
