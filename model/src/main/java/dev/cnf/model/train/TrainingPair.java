package dev.cnf.model.train;

/**
 * One training sample as a batch takes it: image CHW in [-1, 1], condition CHW in [0, 1], caption.
 *
 * @param row the sample's row in its split: what names it in {@link Encodings}
 */
public record TrainingPair(int row, float[] image, float[] condition, String caption) {}
