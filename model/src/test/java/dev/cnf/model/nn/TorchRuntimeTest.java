package dev.cnf.model.nn;

import ai.djl.ndarray.NDManager;
import dev.cnf.model.BaseModel;
import dev.cnf.model.bench.TrainStepBench;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.train.DiffusionTrainer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training steps reuse the memory of the step before instead of faulting it in again: page faults counted, not time.
 * A tiny-sd step (batch 8) took about 18,400 minor page faults before cnf set glibc's malloc thresholds
 * when the first trainer is built ({@link TorchRuntime}), 150-1,100 after; diffusers' step in a Python process about
 * 2,200.
 */
class TorchRuntimeTest {
    /** Minor page faults of this process so far (/proc/self/stat, field 10). */
    static long minorFaults() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[7]);
    }

    @Test
    void trainingStepsReuseFreedMemory() throws IOException {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BaseModel base = BaseModel.initialize(StableDiffusionConfig.tinySd(), 64, manager, 1);
            ControlNet controlNet = base.newControlNet(manager, 2);
            DiffusionTrainer trainer = DiffusionTrainer.controlNet(base, controlNet, TrainStepBench.images(16, 64),
                    new DiffusionTrainer.Options(8, 1, 1e-4, 1e-2, 1.0, 0.5, 3), manager);
            for (int i = 0; i < 3; i++) {
                trainer.trainStep(); // warm-up: the first steps fault in what later steps reuse
            }
            int steps = 5;
            long before = minorFaults();
            for (int i = 0; i < steps; i++) {
                trainer.trainStep();
            }
            double perStep = (minorFaults() - before) / (double) steps;
            System.out.printf("tiny-sd training step: %.0f minor page faults%n", perStep);
            assertTrue(perStep < 8_000, "a training step faulted in " + perStep + " pages: freed memory went back to the kernel");
        }
    }
}
