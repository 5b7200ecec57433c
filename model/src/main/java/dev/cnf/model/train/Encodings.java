package dev.cnf.model.train;

/**
 * The frozen encoders' outputs, looked up per sample as batches are built: the trainer then runs neither the codec nor the
 * text encoder. A lookup may compute and remember what it lacks; it must return exactly what the encoder would.
 */
public interface Encodings {
    /**
     * Called with a batch's pairs and prompts before their lookups, so an implementation can fetch their entries together
     * (concurrently) instead of one after another. Changes no value.
     */
    default void prepare(java.util.List<TrainingPair> pairs, java.util.List<String> prompts) {}

    /** One sample's latent (shape {@link #latentShape()}). */
    float[] latent(TrainingPair pair);

    /** One prompt's embedding (shape {@link #textShape()}); "" is the dropped prompt. */
    float[] text(String prompt);

    /** One latent's shape, without the batch dimension (asked after the batch's lookups). */
    long[] latentShape();

    /** One prompt embedding's shape, without the batch dimension (asked after the batch's lookups). */
    long[] textShape();
}
