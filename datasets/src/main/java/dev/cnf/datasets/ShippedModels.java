package dev.cnf.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Small model weights shipped in this module (made by `cnf pretrain`, see each folder's
 * config.json for the exact command), read from the classpath: nothing is downloaded.
 */
public final class ShippedModels {
    /** Base text-to-image models for the tiny preset, trained on {@link SyntheticCircles}. */
    public static final List<String> BASE_MODELS = List.of("tiny-circles");

    private ShippedModels() {}

    public static byte[] read(String model, String file) {
        if (!BASE_MODELS.contains(model)) {
            throw new IllegalArgumentException("no shipped model '" + model + "'; shipped: " + BASE_MODELS);
        }
        String path = "/dev/cnf/datasets/base/" + model + "/" + file;
        try (InputStream in = ShippedModels.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("shipped model file missing from the classpath: " + path
                        + " (regenerate it with ./cnf pretrain, see datasets/README.md)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
