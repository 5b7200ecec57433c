package dev.cnf.model.bench;

import ai.djl.ndarray.NDManager;
import dev.cnf.model.GcPressure;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.BaseModel;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.train.TrainingSet;

import java.util.ArrayList;
import java.util.List;

/**
 * Stress check for issue 18 (a benchmark, not a timed test): trains PRESET for STEPS steps from each of SEEDS seeds on
 * clean data with a garbage collection (and fresh native memory scribbled with junk) between every forward and backward
 * pass, and counts the steps skipped as non-finite. Healthy training has none; before the fix, freed scalar buffers and
 * oneDNN's wrong convolution gradients made some. Args: PRESET(tiny|tiny-sd) SEEDS STEPS. Prints one JSON line.
 */
public final class NonFiniteStressBench {
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        String preset = args[0];
        int seeds = Integer.parseInt(args[1]);
        int steps = Integer.parseInt(args[2]);
        int skipped = 0;
        List<String> where = new ArrayList<>();
        long start = System.nanoTime();
        for (int seed = 1; seed <= seeds; seed++) {
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                BaseModel base = preset.equals("tiny") ? BaseModel.initialize(ModelConfig.tiny(), m, seed)
                        : BaseModel.initialize(StableDiffusionConfig.preset(preset), 64, m, seed);
                TrainingSet data = TrainStepBench.images(32, base.sampleSize());
                DiffusionTrainer t = DiffusionTrainer.controlNet(base, base.newControlNet(m, seed + 100), data,
                        new DiffusionTrainer.Options(4, 1, 1e-3, 1e-2, 1.0, 0.5, seed), m);
                t.beforeBackward(() -> GcPressure.collectAndScribble(1, 64)); // one collection a step: thousands of steps
                for (int i = 0; i < steps; i++) {
                    DiffusionTrainer.StepStats st = t.trainStep();
                    if (st.skipped()) {
                        skipped++;
                        where.add("seed " + seed + " step " + st.step() + ": " + st.skipReason());
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("{\"preset\": \"%s\", \"seeds\": %d, \"steps_per_seed\": %d, \"gc_between_forward_and_backward\": true, "
                + "\"skipped_steps\": %d, \"seconds\": %.1f, \"skipped\": [%s]}%n", preset, seeds, steps, skipped, seconds,
                String.join(", ", where.stream().map(s -> "\"" + s.replace("\"", "'") + "\"").toList()));
    }
}
