package dev.cnf.activities.models;

import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.SafetensorsFile;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.TensorSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Weights in object storage as safetensors, moved through local files: an SD-sized ControlNet's AdamW
 * moments (2 x 1.45 GB) or a large-mode base UNet (3.4 GB) pass what one Java byte array holds, so
 * neither direction ever builds a whole-file array; one tensor at a time is converted.
 */
public final class WeightObjects {
    private static final Logger LOG = LoggerFactory.getLogger(WeightObjects.class);

    private WeightObjects() {}

    public static void put(ObjectStore store, String key, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("cnf-upload-", ".safetensors");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                Safetensors.write(out, TensorSource.of(tensors), metadata);
            }
            store.putFile(key, tmp, "application/octet-stream");
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + key + " through a local file", e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** F32, F16 or BF16 tensors of a stored safetensors object, as fp32, in file order. */
    public static Map<String, Tensor> get(ObjectStore store, String key) throws IOException {
        Path tmp = Files.createTempFile("cnf-download-", ".safetensors");
        try {
            store.getToFile(key, tmp);
            Map<String, Tensor> out = new LinkedHashMap<>();
            try (SafetensorsFile file = SafetensorsFile.open(tmp)) {
                for (String name : file.names()) {
                    out.put(name, new Tensor(file.shape(name), file.floats(name)));
                }
            }
            return out;
        } finally {
            deleteQuietly(tmp);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            LOG.warn("could not delete the temporary file {}: {}", file, e.getMessage());
        }
    }
}
