package dev.cnf.model.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.cnf.model.TinyModelTest;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.BaseModel;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.train.Precision;
import dev.cnf.model.train.TrainingSet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The neural benchmarks on DJL: ms per ControlNet training step (frozen VAE + CLIP, ControlNet and
 * frozen UNet forward, backward, clipping, AdamW) or per DDIM-20 + CFG sampling batch, for a preset.
 * A benchmark, not a test; bench/run.sh runs it beside bench/peers/torch_step.py.
 * Args: train|sample PRESET(tiny|tiny-sd|mid-sd|sd15) BATCH STEPS [WARM_UP]. Prints one JSON line.
 * WARM_UP (default 2) training steps run before the timed ones: a training run takes thousands of steps, and the JVM
 * reaches its steady pace only after a few hundred: its C2 compiler keeps compiling the step's Java code that long, and
 * on a 2-core box takes about a tenth of a core from libtorch's threads meanwhile (tiny-sd on a 2-core Xeon: 165-184 ms a
 * step over the first 40, 135-142 over steps 41-70, 127-135 after 400). bench/run.sh gives both implementations the same
 * warm-up and reports the pace of its first (up to) 40 steps and of all of it beside the steady state.
 * -Dcnf.bench.device=gpu runs on the first GPU; -Dcnf.bench.precision=fp16|bf16 stores the frozen base in that type
 * (mixed precision: the ControlNet keeps float32 weights; bf16 needs the JNI from bench/gpu/build-djl-jni.sh).
 */
public final class TrainStepBench {
    /** The first warm-up steps, whose pace is reported on its own: how a run starts. */
    static final int EARLY_STEPS = 40;

    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        String mode = args[0];
        String preset = args[1];
        int batch = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        int warmUp = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        Device device = System.getProperty("cnf.bench.device", "cpu").equals("gpu") ? Device.gpu() : Device.cpu();
        Precision precision = Precision.parse(System.getProperty("cnf.bench.precision", "fp32"));
        // -Dcnf.bench.composedOps=true: silu, group_norm, attention and AdamW composed from DJL's ops (LibtorchOps), for A/B runs
        boolean composed = Boolean.getBoolean("cnf.bench.composedOps");
        try (NDManager m = NDManager.newBaseManager(device, "PyTorch");
             AutoCloseable ignored = composed ? dev.cnf.model.nn.LibtorchOps.composedOnThisThread() : () -> {}) {
            long initStart = System.nanoTime();
            BaseModel base = preset.equals("tiny") ? BaseModel.initialize(ModelConfig.tiny(), m, 1)
                    : BaseModel.initialize(StableDiffusionConfig.preset(preset), imageSize(preset), m, 1);
            ControlNet cn = base.newControlNet(m, 2);
            base.castTo(precision.dataType());
            double initSeconds = (System.nanoTime() - initStart) / 1e9;
            TrainingSet data = images(preset.equals("sd15") ? 2 * batch : 64, base.sampleSize()); // 512 px images are 3 MiB each
            long params = base.unet().parameterCount() + cn.parameterCount() + base.textEncoder().module().parameterCount()
                    + (base.codec() instanceof dev.cnf.model.vae.VaeCodec v ? v.vae().parameterCount() : 0);
            double ms;
            double warmMs = Double.NaN;
            int earlySteps = Math.min(EARLY_STEPS, warmUp);
            double earlyMs = Double.NaN;
            if (mode.equals("train")) {
                DiffusionTrainer trainer = DiffusionTrainer.controlNet(base, cn, data, new DiffusionTrainer.Options(batch, 1, 1e-4, 1e-2, 1.0, 0.5, 3), m);
                long warmStart = System.nanoTime();
                for (int i = 0; i < warmUp; i++) {
                    trainer.trainStep();
                    if (i + 1 == earlySteps) {
                        earlyMs = (System.nanoTime() - warmStart) / 1e6 / earlySteps;
                    }
                }
                warmMs = (System.nanoTime() - warmStart) / 1e6 / warmUp;
                // -Dcnf.bench.profile=FILE: PyTorch's profiler over the measured steps (a Chrome trace; bench/profile_ops.py sums it)
                String profile = System.getProperty("cnf.bench.profile", "");
                if (!profile.isEmpty()) {
                    ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
                }
                long start = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    trainer.trainStep();
                }
                ms = (System.nanoTime() - start) / 1e6 / steps;
                if (!profile.isEmpty()) {
                    ai.djl.pytorch.jni.JniUtils.stopProfile(profile);
                }
            } else {
                ControlNetSampler sampler = new ControlNetSampler(base, cn);
                List<String> prompts = Collections.nCopies(batch, "a red circle");
                List<float[]> conds = data.conditions().subList(0, batch);
                sampler.sample(m, prompts, conds, ControlNetSampler.Settings.defaults(1));
                long start = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    sampler.sample(m, prompts, conds, ControlNetSampler.Settings.defaults(i));
                }
                ms = (System.nanoTime() - start) / 1e6 / steps;
            }
            System.out.printf("{\"impl\": \"cnf-djl\", \"engine\": \"PyTorch %s\", \"mode\": \"%s\", \"preset\": \"%s\", \"batch\": %d, "
                            + "\"steps\": %d, \"threads\": %d, \"device\": \"%s\", \"precision\": \"%s\", \"%s\": %.2f%s, \"params\": %d, "
                            + "\"peak_rss_mib\": %d, \"init_s\": %.1f, \"fused_ops\": %b%s}%n",
                    Engine.getEngine("PyTorch").getVersion(), mode, preset, batch, steps, Runtime.getRuntime().availableProcessors(),
                    device, precision.name().toLowerCase(java.util.Locale.ROOT), mode.equals("train") ? "ms_per_step" : "ms_per_batch", ms,
                    mode.equals("train") ? "" : String.format(", \"ms_per_image\": %.2f", ms / batch), params, peakRssMib(), initSeconds,
                    dev.cnf.model.nn.LibtorchOps.available(),
                    mode.equals("train") ? String.format(", \"warm_up_steps\": %d, \"warm_up_ms_per_step\": %.2f, \"early_steps\": %d, "
                            + "\"early_ms_per_step\": %.2f", warmUp, warmMs, earlySteps, earlyMs) : "");
        }
    }

    /** The benchmark's image size per preset: the pixel-space tiny preset and tiny-sd at 64, mid-sd at 128, SD1.5 at 512. */
    static int imageSize(String preset) {
        return switch (preset) {
            case "mid-sd" -> 128;
            case "sd15" -> 512;
            default -> 64;
        };
    }

    /** The process's peak resident memory (VmHWM: JVM heap, native tensors, libraries), -1 where /proc is absent. */
    static long peakRssMib() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // not Linux: no number
        }
        return -1;
    }

    /** Random images and conditions at the preset's size (the timing does not depend on content). */
    public static TrainingSet images(int n, int size) {
        if (size == 64) {
            return TinyModelTest.circles(n, 1);
        }
        Random r = new Random(1);
        List<float[]> imgs = new ArrayList<>();
        List<float[]> conds = new ArrayList<>();
        List<String> caps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] img = new float[3 * size * size];
            float[] cond = new float[3 * size * size];
            for (int j = 0; j < img.length; j++) {
                img[j] = r.nextFloat() * 2 - 1;
                cond[j] = r.nextFloat() < 0.05f ? 1f : 0f;
            }
            imgs.add(img);
            conds.add(cond);
            caps.add("a photo");
        }
        return new TrainingSet(imgs, conds, caps);
    }
}
