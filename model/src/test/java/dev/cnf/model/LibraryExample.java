package dev.cnf.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.DiffusersFolder;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.schedulers.DdimScheduler;
import dev.cnf.model.unet.ControlResiduals;

import java.nio.file.Path;
import java.util.List;

/** The README's "use the model library from Java" example, verbatim between the markers; LibraryExampleTest runs it. */
final class LibraryExample {
    record Outcome(List<float[]> images, NDArray noise, NDArray predictedClean) {}

    static Outcome run(Path stableDiffusion, Path controlnetFolder, float[] edges, NDManager manager) throws Exception {
        // README:begin
        // a Stable Diffusion folder in diffusers' layout, and a ControlNet cnf published (or diffusers saved)
        BaseModel base = BaseModel.fromDiffusers(stableDiffusion, 64, manager);
        ControlNet controlnet = DiffusersFolder.loadControlNet(controlnetFolder, manager);

        // the whole sampler: DDIM 20 steps, classifier-free guidance 9.0, control scale 1.0, seed 42
        List<float[]> images = new ControlNetSampler(base, controlnet).sample(manager, List.of("a red circle"),
                List.of(edges), new ControlNetSampler.Settings(20, 9.0f, 1.0f, 42)); // CHW in [-1, 1], one per prompt

        // or one denoising step by hand, with diffusers' names
        int latentSize = base.latentSize();
        NDArray latents = manager.randomNormal(new Shape(1, base.latentChannels(), latentSize, latentSize));
        NDArray text = base.textEncoder().encode(manager, List.of("a red circle")); // encoder_hidden_states
        NDArray hint = manager.create(edges, new Shape(1, 3, 64, 64));              // controlnet_cond, in [0, 1]
        NDArray t = manager.create(981f);                                           // one timestep, broadcast
        ControlResiduals residuals = controlnet.predict(latents, t, text, hint, 1.0f);
        NDArray noise = base.unet().predict(latents, t, text, residuals);
        DdimScheduler.Step step = new DdimScheduler(base.scheduler(), 20).stepWithPrediction(noise, 981, latents);
        // step.prevSample() is the next latents, step.predOriginalSample() diffusers' pred_original_sample
        // README:end
        return new Outcome(images, noise, step.predOriginalSample());
    }

    private LibraryExample() {}
}
