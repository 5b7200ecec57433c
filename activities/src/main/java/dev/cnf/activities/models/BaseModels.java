package dev.cnf.activities.models;

import ai.djl.ndarray.NDManager;
import dev.cnf.activities.storage.Locations;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.datasets.ShippedModels;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.schedulers.SchedulerConfig;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.BaseModel;
import dev.cnf.model.train.Precision;
import io.temporal.failure.ApplicationFailure;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Resolves the workflow input's base model to loaded, frozen weights; training and evaluation share it.
 * The tiny preset's base is shipped ({@code tiny-circles}); a Stable Diffusion preset's base is a
 * diffusers folder (unet/, vae/, text_encoder/, tokenizer/) in object storage or on the worker, e.g.
 * a copy of stable-diffusion-v1-5. Either may be {@code random}: untrained, for tests of the machinery.
 */
public final class BaseModels {
    /** "random": an untrained base rebuilt from this seed; useful only for tests of the machinery. */
    public static final String RANDOM = "random";

    private BaseModels() {}

    /** @param sha256 identifies the weights (encoder caches and the model card are keyed by it) */
    public record Loaded(BaseModel model, String sha256) {}

    /**
     * A request's precision (null: fp32), refused non-retryably, before any work, where this worker's engine cannot
     * hold it (bf16 without a declared bfloat16 JNI): another attempt on the same worker would fail the same way.
     */
    public static Precision precision(String name) {
        Precision p = Precision.parse(name == null ? "fp32" : name);
        try {
            Precision.requireEngineSupport(p.dataType());
        } catch (IllegalStateException e) {
            throw ApplicationFailure.newNonRetryableFailure("precision " + name + " on this worker: " + e.getMessage(), "UnsupportedPrecision");
        }
        return p;
    }

    /**
     * @param preset     the workflow's modelConfig: "tiny" or a Stable Diffusion preset
     * @param resolution image side in pixels
     * @throws ApplicationFailure (non-retryable InvalidInput) for a base that is not there or not a diffusers folder
     */
    public static Loaded load(String name, String preset, int resolution, ObjectStore store, NDManager manager) {
        try {
            if ("tiny".equals(preset)) {
                ModelConfig cfg = ModelConfig.tiny().withSampleSize(resolution);
                if (RANDOM.equals(name)) {
                    return new Loaded(BaseModel.initialize(cfg, manager, 0), "random-init-seed-0");
                }
                byte[] unet = ShippedModels.read(name, BaseModel.UNET_FILE);
                byte[] text = ShippedModels.read(name, BaseModel.TEXT_ENCODER_FILE);
                // the noise schedule the base was trained with (tiny-circles: v-prediction, zero terminal SNR)
                byte[] schedulerJson = ShippedModels.read(name, BaseModel.SCHEDULER_FILE);
                SchedulerConfig scheduler = SchedulerConfig.fromJson(new String(schedulerJson, StandardCharsets.UTF_8));
                return new Loaded(BaseModel.load(cfg, manager, Safetensors.read(unet), Safetensors.read(text)).withScheduler(scheduler),
                        ObjectStore.sha256(unet));
            }
            StableDiffusionConfig sd = StableDiffusionConfig.preset(preset);
            if (RANDOM.equals(name)) {
                return new Loaded(BaseModel.initialize(sd, resolution, manager, 0), "random-init-seed-0-" + preset);
            }
            Path folder = Locations.localFolder(name, store);
            return new Loaded(BaseModel.fromDiffusers(folder, resolution, manager), folderDigest(folder));
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure("baseModel " + name + ": " + e.getMessage(), "InvalidInput");
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("is not a diffusers")) {
                throw ApplicationFailure.newNonRetryableFailure("baseModel " + name + ": " + e.getMessage(), "InvalidInput");
            }
            throw new UncheckedIOException(e);
        }
    }

    /** SHA-256 over the folder's files (relative path, then content, in path order), streamed: 4 GB take seconds, never memory. */
    static String folderDigest(Path folder) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder)) {
            files = walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
        byte[] buf = new byte[1 << 20];
        for (Path f : files) {
            digest.update(folder.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            try (InputStream in = Files.newInputStream(f)) {
                for (int n = in.read(buf); n > 0; n = in.read(buf)) {
                    digest.update(buf, 0, n);
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
