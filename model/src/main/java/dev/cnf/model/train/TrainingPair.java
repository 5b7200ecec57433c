package dev.cnf.model.train;

/**
 * One training sample as a batch takes it: image CHW in [-1, 1], condition CHW in [0, 1], caption, and the image's size
 * (a square at the resolution, or an aspect bucket's size).
 *
 * @param row the sample's row in its split: what names it in {@link Encodings}
 */
public record TrainingPair(int row, float[] image, float[] condition, String caption, int width, int height) {
    public TrainingPair {
        if (image.length != 3 * width * height || condition.length != image.length) {
            throw new IllegalArgumentException("a " + width + "x" + height + " training pair needs 3-channel image and condition of "
                    + 3 * width * height + " values, got " + image.length + " and " + condition.length);
        }
    }

    /** A square pair: its side from the image's length. */
    public TrainingPair(int row, float[] image, float[] condition, String caption) {
        this(row, image, condition, caption, squareSide(image), squareSide(image));
    }

    static int squareSide(float[] chw) {
        return (int) Math.round(Math.sqrt(chw.length / 3.0));
    }
}
