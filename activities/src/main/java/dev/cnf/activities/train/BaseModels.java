package dev.cnf.activities.train;

import ai.djl.ndarray.NDManager;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.datasets.ShippedModels;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.train.BaseModel;
import io.temporal.failure.ApplicationFailure;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Resolves a base-model name from the workflow input to weights; training and evaluation share it. */
public final class BaseModels {
    /** "random": an untrained base rebuilt from this seed; useful only for tests of the machinery. */
    public static final String RANDOM = "random";

    private BaseModels() {}

    public record Loaded(BaseModel model, String sha256) {}

    public static Loaded load(String name, ModelConfig cfg, NDManager manager) {
        if (RANDOM.equals(name)) {
            return new Loaded(BaseModel.initialize(cfg, manager, 0), "random-init-seed-0");
        }
        try {
            byte[] unet = ShippedModels.read(name, BaseModel.UNET_FILE);
            byte[] text = ShippedModels.read(name, BaseModel.TEXT_ENCODER_FILE);
            return new Loaded(BaseModel.load(cfg, manager, Safetensors.read(unet), Safetensors.read(text)), ObjectStore.sha256(unet));
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), "InvalidInput");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
