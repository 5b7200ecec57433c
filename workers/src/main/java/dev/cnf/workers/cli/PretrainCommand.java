package dev.cnf.workers.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cnf.datasets.CaptionColourCheck;
import dev.cnf.datasets.Pixels;
import dev.cnf.datasets.SyntheticCircles;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.schedulers.SchedulerConfig;
import dev.cnf.model.BaseModel;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.train.TrainingSet;
import dev.cnf.model.train.WeightAverage;
import dev.cnf.workflows.spec.ModelSpec;
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

    @Option(names = "--images", defaultValue = "10000", description = "synthetic images (default ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--steps", defaultValue = "14000", description = "optimizer steps (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--batch-size", defaultValue = "16", description = "batch size (default ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "2e-3", description = "AdamW learning rate (default ${DEFAULT-VALUE})")
    double learningRate;

    @Option(names = "--seed", defaultValue = "1", description = "seed for data, init and training (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--resolution", defaultValue = "64", description = "image size (default ${DEFAULT-VALUE})")
    int resolution;

    @Option(names = "--ema-decay", defaultValue = "0.999",
            description = "decay of the weights' moving average that is saved; 0 saves the last step's weights (default ${DEFAULT-VALUE})")
    double emaDecay;

    @Option(names = "--warmup-steps", defaultValue = "100",
            description = "linear learning-rate warm-up, then cosine decay to 0 at --steps (default ${DEFAULT-VALUE})")
    int warmupSteps;

    @Option(names = "--train-text-encoder", description = "train the hashed-token embedding table with the UNet")
    boolean trainTextEncoder;

    /** Linear warm-up to {@code peak}, then half a cosine down to 0 at {@code total}. */
    static double scheduledLearningRate(double peak, int step, int warmup, int total) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        double progress = (step - warmup) / (double) Math.max(1, total - warmup);
        return peak * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    }

    @Override
    public Integer call() throws Exception {
        List<String> problems = new ArrayList<>();
        if (images < 1 || steps < 1 || batchSize < 1) {
            problems.add("--images, --steps and --batch-size must be >= 1");
        }
        if (!(learningRate > 0)) {
            problems.add("--lr must be > 0");
        }
        if (!(emaDecay >= 0 && emaDecay < 1)) {
            problems.add("--ema-decay must be in [0, 1)");
        }
        if (warmupSteps < 0 || warmupSteps >= steps) {
            problems.add("--warmup-steps must be >= 0 and below --steps");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
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
            BaseModel base = BaseModel.initialize(cfg, manager, seed).withScheduler(PIXEL_SPACE_SCHEDULER);
            DiffusionTrainer trainer = DiffusionTrainer.baseModel(base, data, options, manager, trainTextEncoder);
            WeightAverage average = emaDecay > 0 ? new WeightAverage(trainer.trainedParameters(), manager, emaDecay) : null;
            double emaLoss = Double.NaN;
            while (trainer.step() < steps) {
                trainer.setLearningRate(scheduledLearningRate(learningRate, trainer.step(), warmupSteps, steps));
                DiffusionTrainer.StepStats st = trainer.trainStep();
                if (average != null) {
                    average.update();
                }
                emaLoss = Double.isNaN(emaLoss) ? st.loss() : 0.98 * emaLoss + 0.02 * st.loss();
                if (st.step() % 100 == 0 || st.step() == steps) {
                    System.out.printf("step %d/%d  loss %.4f (ema %.4f)  %.2f steps/s%n", st.step(), steps, st.loss(), emaLoss,
                            st.step() / ((System.nanoTime() - t0) / 1e9));
                }
            }
            if (average != null) {
                average.copyToWeights();
            }
            List<CaptionColourCheck.Verdict> verdicts = colourCheck(base, manager, COLOUR_CHECK_PROMPTS, seed);
            long matched = verdicts.stream().filter(CaptionColourCheck.Verdict::matches).count();
            double grid = verdicts.stream().mapToDouble(CaptionColourCheck.Verdict::gridEnergy).average().orElse(0);
            double roughness = verdicts.stream().mapToDouble(CaptionColourCheck.Verdict::roughness).average().orElse(0);
            System.out.printf("colour check on %d held-out prompts: disc and background as captioned in %d; grid energy %.2f,"
                    + " background roughness %.2f (0..255)%n", verdicts.size(), matched, grid, roughness);
            Map<String, Object> provenance = new LinkedHashMap<>();
            provenance.put("command", "./cnf pretrain --images " + images + " --steps " + steps + " --batch-size " + batchSize
                    + " --lr " + learningRate + " --seed " + seed + " --resolution " + resolution + " --ema-decay " + emaDecay
                    + " --warmup-steps " + warmupSteps + (trainTextEncoder ? " --train-text-encoder" : ""));
            provenance.put("finalLossEma", emaLoss);
            provenance.put("seconds", Math.round((System.nanoTime() - t0) / 1e9));
            provenance.put("nonFiniteStepsRecomputed", trainer.nonFiniteSteps());
            provenance.put("colourCheck", Map.of("prompts", verdicts.size(), "matched", matched, "gridEnergy", grid, "roughness", roughness,
                    "sampler", samplerDescription()));
            Map<String, String> meta = Map.of("format", "pt", "cnf", "tiny-circles base, see config.json");
            byte[] unet = Safetensors.write(Weights.export(base.unet()), meta);
            byte[] text = Safetensors.write(Weights.export(base.textEncoder().module()), meta);
            Files.write(out.resolve(BaseModel.UNET_FILE), unet);
            Files.write(out.resolve(BaseModel.TEXT_ENCODER_FILE), text);
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            Files.write(out.resolve(BaseModel.SCHEDULER_FILE), json.writeValueAsBytes(base.scheduler().toJson()));
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("cnf_model_config", cfg);
            config.put("provenance", provenance);
            Files.write(out.resolve("config.json"), json.writeValueAsBytes(config));

            List<String> prompts = List.of("red circle with light grey background", "aqua circle with navy background",
                    "yellow circle with purple background", "white circle with black background");
            List<float[]> samples = new ControlNetSampler(base, null).sample(manager, prompts,
                    Collections.nCopies(prompts.size(), noCondition), demoSettings(seed));
            Files.write(out.resolve("preview.png"), Pixels.grid(samples, resolution, prompts.size(), -1f, 1f));
            System.out.println("wrote " + out.toAbsolutePath() + " (unet " + unet.length / 1024 + " KiB); preview.png shows: " + prompts);
        }
        return 0;
    }

    /**
     * The noise schedule the tiny base trains and samples with, written beside its weights as scheduler_config.json.
     * Not SD1.5's: in pixel space a flat-coloured image still shows its colours through SD1.5's last timestep (√ᾱ =
     * 0.07 over 4096 pixels), so an ε-model learns to read colours off the noise instead of the caption, and sampling
     * from pure noise ignores the caption. SD1.5's betas rescaled to zero terminal SNR with v-prediction and trailing
     * timesteps (Lin et al. 2024) leave the caption as the only source of colour at the start of sampling. The last DDIM
     * step lands on the predicted image itself (set_alpha_to_one): SD1.5's alphas_cumprod[0] would add back 0.03 of the
     * predicted noise, about 4 grey levels of pixel noise that no decoder smooths here.
     */
    static final SchedulerConfig PIXEL_SPACE_SCHEDULER = new SchedulerConfig(1000, 0.00085, 0.012, "scaled_linear", "v_prediction",
            "trailing", 0, true, true);

    /** What the colour check in config.json sampled with: {@link #demoSettings}, in words. */
    static String samplerDescription() {
        ControlNetSampler.Settings s = demoSettings(0);
        return "DDIM " + s.steps() + " steps, guidance " + s.guidanceScale() + ", sampling seed = --seed, scheduler_config.json";
    }

    /** The demo's sampler on this base: 20 DDIM steps at the base's guidance scale ({@link ModelSpec#TINY_CIRCLES_GUIDANCE_SCALE}). */
    static ControlNetSampler.Settings demoSettings(long seed) {
        return new ControlNetSampler.Settings(20, (float) ModelSpec.TINY_CIRCLES_GUIDANCE_SCALE, 1f, seed);
    }

    /** Seed of the held-out prompts the colour check samples: not the training data's (which is --seed). */
    static final long HELD_OUT_SEED = 20_261_201L;
    static final int COLOUR_CHECK_PROMPTS = 96;

    /**
     * Samples the base text-to-image (no ControlNet, the demo's sampler settings: {@link #demoSettings}) for {@code count}
     * captions drawn from the generator with a seed training never used, and judges each sample's disc and background
     * colours.
     */
    static List<CaptionColourCheck.Verdict> colourCheck(BaseModel base, NDManager manager, int count, long seed) {
        int size = base.sampleSize();
        List<String> prompts = SyntheticCircles.generate(count, size, HELD_OUT_SEED).stream().map(SyntheticCircles.Item::caption).toList();
        float[] noCondition = new float[3 * size * size];
        List<float[]> samples = new ControlNetSampler(base, null).sample(manager, prompts,
                Collections.nCopies(count, noCondition), demoSettings(seed));
        List<CaptionColourCheck.Verdict> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(CaptionColourCheck.check(prompts.get(i), samples.get(i), size, true, -1f, 1f));
        }
        return out;
    }
}
