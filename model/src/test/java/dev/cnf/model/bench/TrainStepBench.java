package dev.cnf.model.bench;

import ai.djl.ndarray.NDManager;
import dev.cnf.model.TinyModelTest;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.train.BaseModel;
import dev.cnf.model.train.DiffusionTrainer;

/**
 * Milliseconds per ControlNet training step (forward through ControlNet + frozen UNet, backward,
 * clipping, AdamW) for the tiny and tiny-sd presets at 64 px. A benchmark, not a test:
 * {@code java -cp … dev.cnf.model.bench.TrainStepBench [batch] [steps]}.
 */
public final class TrainStepBench {
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            report("tiny", BaseModel.initialize(ModelConfig.tiny(), m, 1), batch, steps, m);
            report("tiny-sd", BaseModel.initialize(StableDiffusionConfig.tinySd(), 64, m, 1), batch, steps, m);
        }
    }

    static void report(String name, BaseModel base, int batch, int steps, NDManager m) {
        DiffusionTrainer trainer = DiffusionTrainer.controlNet(base, base.newControlNet(m, 2),
                TinyModelTest.circles(64, 1), new DiffusionTrainer.Options(batch, 1, 1e-4, 1e-2, 1.0, 0.5, 3), m);
        for (int i = 0; i < 3; i++) {
            trainer.trainStep(); // warm-up
        }
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            trainer.trainStep();
        }
        double ms = (System.nanoTime() - start) / 1e6 / steps;
        System.out.printf("%-8s batch %d at 64 px: %.1f ms per ControlNet training step (%d steps, %d threads)%n",
                name, batch, ms, steps, Runtime.getRuntime().availableProcessors());
    }
}
