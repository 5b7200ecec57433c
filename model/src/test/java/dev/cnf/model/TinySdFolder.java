package dev.cnf.model;

import ai.djl.ndarray.NDManager;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.io.DiffusersFolder;
import dev.cnf.model.text.ClipTextModel;
import dev.cnf.model.text.ClipTokenizer;
import dev.cnf.model.unet.UNet;
import dev.cnf.model.vae.AutoencoderKL;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Stable Diffusion pipeline folder with tiny-sd's shapes and seeded weights, written with diffusers' file and key
 * names as a copy of stable-diffusion-v1-5 would be laid out: unet/, vae/, text_encoder/, tokenizer/ and SD1.5's
 * scheduler/scheduler_config.json. Tests use it as a base that both cnf and diffusers load.
 */
public final class TinySdFolder {
    private TinySdFolder() {}

    /** Writes the folder; the UNet, VAE and text encoder are initialised with {@code seed}, {@code seed + 1}, {@code seed + 2}. */
    public static Path write(Path folder, long seed) throws IOException {
        StableDiffusionConfig sd = StableDiffusionConfig.tinySd();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            UNet unet = new UNet(sd.unet());
            unet.initializeParameters(m, seed);
            DiffusersFolder.save(unet, sd.unet().toJson(), folder.resolve("unet"));
            AutoencoderKL vae = new AutoencoderKL(sd.vae());
            vae.initializeParameters(m, seed + 1);
            DiffusersFolder.save(vae, sd.vae().toJson(), folder.resolve("vae"));
            ClipTextModel text = new ClipTextModel(sd.textEncoder());
            text.initializeParameters(m, seed + 2);
            DiffusersFolder.save(text, sd.textEncoder().toJson(), folder.resolve("text_encoder"));
        }
        ClipTokenizer.byteLevel(sd.textEncoder().bosTokenId(), sd.textEncoder().eosTokenId(),
                sd.textEncoder().maxPositionEmbeddings()).save(folder.resolve("tokenizer"));
        Files.createDirectories(folder.resolve("scheduler")); // SD1.5's, as diffusers writes it; cnf and diffusers read it
        Files.writeString(folder.resolve("scheduler/scheduler_config.json"), """
                {"_class_name": "DDIMScheduler", "num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012,
                 "beta_schedule": "scaled_linear", "prediction_type": "epsilon", "timestep_spacing": "leading", "steps_offset": 1,
                 "set_alpha_to_one": false, "clip_sample": false}""");
        return folder;
    }
}
