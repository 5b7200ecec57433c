package dev.cnf.workers.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cnf.datasets.Pixels;
import dev.cnf.datasets.SyntheticCircles;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.BaseModel;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.train.TrainingSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Trains the tiny-preset base text-to-image UNet on the synthetic circles, with the project's own
 * code, so the demo's ControlNet has a base that knows its world. The shipped weights under
 * datasets/ were made by the command recorded in their config.json.
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Train the tiny base text-to-image model on synthetic circles and write its weights.")
public final class PretrainCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "datasets/src/main/resources/dev/cnf/datasets/base/tiny-circles",
            description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--images", defaultValue = "4000", description = "synthetic images (default ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--steps", defaultValue = "3000", description = "optimizer steps (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--batch-size", defaultValue = "32", description = "batch size (default ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "2e-3", description = "AdamW learning rate (default ${DEFAULT-VALUE})")
    double learningRate;

    @Option(names = "--seed", defaultValue = "1", description = "seed for data, init and training (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--resolution", defaultValue = "64", description = "image size (default ${DEFAULT-VALUE})")
    int resolution;

    @Override
    public Integer call() throws Exception {
        if (images < 1 || steps < 1 || batchSize < 1 || !(learningRate > 0)) {
            throw new IllegalArgumentException("--images, --steps and --batch-size must be >= 1 and --lr > 0");
        }
        ModelConfig cfg = ModelConfig.tiny().withSampleSize(resolution);
        List<SyntheticCircles.Item> items = SyntheticCircles.generate(images, resolution, seed);
        List<float[]> pixels = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        for (SyntheticCircles.Item item : items) {
            pixels.add(Pixels.toChw(item.png(), -1f, 1f));
            captions.add(item.caption());
        }
        float[] noCondition = new float[3 * resolution * resolution];
        TrainingSet data = new TrainingSet(pixels, Collections.nCopies(images, noCondition), captions);
        // 10% empty prompts: enough unconditional training for classifier-free guidance.
        DiffusionTrainer.Options options = new DiffusionTrainer.Options(batchSize, 1, learningRate, 1e-2, 1.0, 0.1, seed);
        Files.createDirectories(out);
        long t0 = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BaseModel base = BaseModel.initialize(cfg, manager, seed);
            DiffusionTrainer trainer = DiffusionTrainer.baseUNet(base, data, options, manager);
            double emaLoss = Double.NaN;
            while (trainer.step() < steps) {
                DiffusionTrainer.StepStats st = trainer.trainStep();
                emaLoss = Double.isNaN(emaLoss) ? st.loss() : 0.98 * emaLoss + 0.02 * st.loss();
                if (st.step() % 100 == 0 || st.step() == steps) {
                    System.out.printf("step %d/%d  loss %.4f (ema %.4f)  %.2f steps/s%n", st.step(), steps, st.loss(), emaLoss,
                            st.step() / ((System.nanoTime() - t0) / 1e9));
                }
            }
            Map<String, Object> provenance = new LinkedHashMap<>();
            provenance.put("command", "./cnf pretrain --images " + images + " --steps " + steps + " --batch-size " + batchSize
                    + " --lr " + learningRate + " --seed " + seed + " --resolution " + resolution);
            provenance.put("finalLossEma", emaLoss);
            provenance.put("seconds", Math.round((System.nanoTime() - t0) / 1e9));
            provenance.put("nonFiniteStepsRecomputed", trainer.nonFiniteSteps());
            Map<String, String> meta = Map.of("format", "pt", "cnf", "tiny-circles base, see config.json");
            byte[] unet = Safetensors.write(Weights.export(base.unet()), meta);
            byte[] text = Safetensors.write(Weights.export(base.textEncoder().module()), meta);
            Files.write(out.resolve(BaseModel.UNET_FILE), unet);
            Files.write(out.resolve(BaseModel.TEXT_ENCODER_FILE), text);
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("cnf_model_config", cfg);
            config.put("provenance", provenance);
            Files.write(out.resolve("config.json"), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(config));

            List<String> prompts = List.of("red circle with light grey background", "aqua circle with navy background",
                    "yellow circle with purple background", "white circle with black background");
            List<float[]> samples = new ControlNetSampler(base, null).sample(manager, prompts,
                    Collections.nCopies(prompts.size(), noCondition), ControlNetSampler.Settings.defaults(seed));
            Files.write(out.resolve("preview.png"), Pixels.grid(samples, resolution, prompts.size(), -1f, 1f));
            System.out.println("wrote " + out.toAbsolutePath() + " (unet " + unet.length / 1024 + " KiB); preview.png shows: " + prompts);
        }
        return 0;
    }
}
