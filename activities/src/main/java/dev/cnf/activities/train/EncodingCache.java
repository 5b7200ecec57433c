package dev.cnf.activities.train;

import dev.cnf.activities.metrics.TrainingLogRow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.BaseModel;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.train.Precision;
import dev.cnf.model.train.TrainingSet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The frozen encoders' outputs, content-addressed in object storage so that every run on the same data
 * and base model skips the codec (VAE) and the text encoder:
 * {@code cache/<base sha256>/<resolution>/latents/<sha256 of the encoder's input>.safetensors} and
 * {@code .../text/<sha256 of the prompt>.safetensors}. Entries are immutable: a key names its inputs. The
 * latent key hashes the very pixels the codec sees (not the source file), so a change in cleaning or
 * cropping can never serve a stale latent.
 */
final class EncodingCache {
    /** What one preparation found and computed. */
    record Stats(int latentHits, int latentMisses, int textHits, int textMisses) {
        /** The training log's row: at step 0, the cache is read before the first step. */
        TrainingLogRow.Cache row() {
            return new TrainingLogRow.Cache(0, latentHits, latentMisses, textHits, textMisses);
        }
    }

    private final ObjectStore store;
    private final String root;

    /** Half-precision encoders give other latents than float32 ones, so they have their own entries. */
    EncodingCache(ObjectStore store, String baseSha256, int resolution, Precision precision) {
        this.store = store;
        this.root = "cache/" + baseSha256 + "/" + resolution + (precision == Precision.FP32 ? "" : "-" + precision.name().toLowerCase(Locale.ROOT)) + "/";
    }

    /** The encodings and how many came from the cache. */
    record Prepared(DiffusionTrainer.Encoded encoded, Stats stats) {}

    /** Encodings for the training set, in order, from the cache where present. */
    Prepared prepare(BaseModel base, NDManager manager, TrainingSet data, Runnable heartbeat) {
        int latentHits = 0, latentMisses = 0, textHits = 0, textMisses = 0;
        List<float[]> latents = new ArrayList<>();
        long[] latentShape = null;
        for (int i = 0; i < data.size(); i++) {
            heartbeat.run();
            String key = root + "latents/" + sha256(data.images().get(i)) + ".safetensors";
            Tensor t = read(key);
            if (t == null) {
                float[] v = DiffusionTrainer.encodeImage(base, manager, data.images().get(i));
                int side = data.resolution() / base.codec().downsampling();
                t = new Tensor(new long[] {v.length / (side * side), side, side}, v);
                write(key, t);
                latentMisses++;
            } else {
                latentHits++;
            }
            latents.add(t.data());
            latentShape = t.shape();
        }
        Set<String> prompts = new LinkedHashSet<>(data.captions());
        prompts.add(""); // the dropped prompt
        Map<String, float[]> text = new LinkedHashMap<>();
        long[] textShape = null;
        for (String p : prompts) {
            String key = root + "text/" + ObjectStore.sha256(p.getBytes(StandardCharsets.UTF_8)) + ".safetensors";
            Tensor t = read(key);
            if (t == null) {
                try (NDManager m = manager.newSubManager()) {
                    NDArray e = DiffusionTrainer.encodePrompt(base, m, p);
                    long[] shape = e.getShape().getShape();
                    t = new Tensor(Arrays.copyOfRange(shape, 1, shape.length), e.toFloatArray());
                }
                write(key, t);
                textMisses++;
            } else {
                textHits++;
            }
            text.put(p, t.data());
            textShape = t.shape();
        }
        return new Prepared(new DiffusionTrainer.Encoded(latents, latentShape, text, textShape),
                new Stats(latentHits, latentMisses, textHits, textMisses));
    }

    private static String sha256(float[] pixels) {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(pixels.length * Float.BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(pixels);
        return ObjectStore.sha256(bytes.array());
    }

    private Tensor read(String key) {
        if (!store.exists(key)) {
            return null;
        }
        try {
            return Safetensors.read(store.get(key)).get("value");
        } catch (IOException e) {
            throw new UncheckedIOException("cache entry " + key + " is unreadable", e);
        }
    }

    private void write(String key, Tensor t) {
        store.put(key, Safetensors.write(Map.of("value", t), Map.of("format", "pt")), "application/octet-stream");
    }
}
