package dev.cnf.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.schedulers.SchedulerConfig;
import dev.cnf.model.train.TrainingSet;
import dev.cnf.model.train.WeightAverage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

public class TinyModelTest extends PyTorchTest {
    static final ModelConfig CFG = ModelConfig.tiny();

    @Test
    void zeroConvolutionsLeaveTheBaseOutputUnchangedAtInitialisation() {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            ControlNet cn = base.newControlNet(m, 8);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(2, CFG.latentChannels(), CFG.latentSize(), CFG.latentSize()));
            NDArray t = m.create(new float[] {10, 900});
            NDArray text = base.textEncoder().encode(ps, m, List.of("red circle", ""));
            NDArray cond = m.randomUniform(0, 1, new Shape(2, 3, CFG.sampleSize(), CFG.sampleSize()));
            NDArray plain = base.unet().forward(ps, new NDList(x, t, text), false, null).singletonOrThrow();
            NDList res = cn.forward(ps, new NDList(x, t, text, cond), false, null);
            assertEquals(7, res.size(), "tiny preset: skips of conv_in, 3 resnets, 2 downsamplers; plus mid");
            NDList in = new NDList(x, t, text);
            in.addAll(res);
            NDArray controlled = base.unet().forward(ps, in, false, null).singletonOrThrow();
            assertArrayEquals(plain.toFloatArray(), controlled.toFloatArray(), 0f);
        }
    }

    @Test
    void controlNetStartsAsAnExactCopyOfTheEncoder() {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            ControlNet cn = base.newControlNet(m, 8);
            Map<String, Tensor> u = Weights.export(base.unet());
            Map<String, Tensor> c = Weights.export(cn);
            assertEquals(u.get("down_blocks.0.resnets.0.conv1.weight"), c.get("down_blocks.0.resnets.0.conv1.weight"));
            assertEquals(u.get("mid_block.resnets.1.norm2.weight"), c.get("mid_block.resnets.1.norm2.weight"));
            assertTrue(c.containsKey("controlnet_cond_embedding.blocks.1.weight"));
            assertTrue(c.containsKey("controlnet_down_blocks.3.weight"));
            assertTrue(c.containsKey("controlnet_mid_block.bias"));
            for (float v : c.get("controlnet_mid_block.weight").data()) {
                assertEquals(0f, v);
            }
        }
    }

    @Test
    void safetensorsRoundTripsAndRejectsGarbage() throws Exception {
        Map<String, Tensor> w = Map.of("a.weight", new Tensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}),
                "b", new Tensor(new long[] {1}, new float[] {-0.5f}));
        byte[] bytes = Safetensors.write(w, Map.of("format", "pt"));
        assertEquals(w, Safetensors.read(bytes));
        assertEquals("pt", Safetensors.metadata(bytes).get("format"));
        assertArrayEquals(bytes, Safetensors.write(w, Map.of("format", "pt")), "same weights, same bytes");
        Exception e = assertThrows(java.io.IOException.class, () -> Safetensors.read(new byte[] {1, 2, 3}));
        assertTrue(e.getMessage().contains("not a safetensors file"));
    }

    @Test
    void halfPrecisionDecodes() {
        assertEquals(1.0f, dev.cnf.model.io.Safetensors.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, dev.cnf.model.io.Safetensors.halfToFloat((short) 0xc000));
        assertEquals(5.9604645e-8f, dev.cnf.model.io.Safetensors.halfToFloat((short) 0x0001));
        assertEquals(65504f, dev.cnf.model.io.Safetensors.halfToFloat((short) 0x7bff));
    }

    @Test
    void weightLoadingListsEveryMismatch() {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            ControlNet cn = base.newControlNet(m, 8);
            Map<String, Tensor> w = new java.util.HashMap<>(Weights.export(cn));
            w.remove("controlnet_mid_block.bias");
            w.put("extra.weight", new Tensor(new long[] {1}, new float[] {0}));
            w.put("conv_in.bias", new Tensor(new long[] {1}, new float[] {0}));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Weights.load(cn, w));
            assertTrue(e.getMessage().contains("missing [controlnet_mid_block.bias]"), e.getMessage());
            assertTrue(e.getMessage().contains("unexpected [extra.weight]"), e.getMessage());
            assertTrue(e.getMessage().contains("conv_in.bias expected [32] got [1]"), e.getMessage());
        }
    }

    public static TrainingSet circles(int n, long seed) {
        Random r = new Random(seed);
        int s = CFG.sampleSize();
        List<float[]> imgs = new ArrayList<>();
        List<float[]> conds = new ArrayList<>();
        List<String> caps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] img = new float[3 * s * s];
            float[] cond = new float[3 * s * s];
            int cx = 16 + r.nextInt(32), cy = 16 + r.nextInt(32), rad = 6 + r.nextInt(8);
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    double d = Math.hypot(x - cx, y - cy);
                    for (int c = 0; c < 3; c++) {
                        img[c * s * s + y * s + x] = d < rad ? (c == 0 ? 0.8f : -0.6f) : -0.2f;
                        cond[c * s * s + y * s + x] = Math.abs(d - rad) < 1 ? 1f : 0f;
                    }
                }
            }
            imgs.add(img);
            conds.add(cond);
            caps.add("red circle on grey background");
        }
        return new TrainingSet(imgs, conds, caps);
    }

    static DiffusionTrainer.Options opts() {
        return new DiffusionTrainer.Options(4, 1, 1e-3, 1e-2, 1.0, 0.5, 42);
    }

    @Test
    void trainingReducesTheLossOnCircles() {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer trainer = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), circles(16, 1), opts(), m);
            double first = 0, last = 0;
            int steps = 40;
            for (int i = 0; i < steps; i++) {
                DiffusionTrainer.StepStats st = trainer.trainStep();
                assertFalse(st.skipped(), "step " + i + " was skipped as non-finite (loss " + st.loss() + ", gradient norm "
                        + st.gradNorm() + "): healthy training on clean data has none");
                double loss = st.loss();
                if (i < 10) first += loss / 10;
                if (i >= steps - 10) last += loss / 10;
            }
            assertTrue(last < first, "mean loss of last 10 steps " + last + " should be below first 10 " + first);
        }
    }

    /** Augmented training keeps the bitwise promises: the same seed gives the same weights, and so does a resumed run. */
    @Test
    void augmentedTrainingIsBitwiseReproducibleAndResumable() {
        dev.cnf.model.train.Augmentation both = new dev.cnf.model.train.Augmentation(true, true);
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer whole = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), circles(8, 1), opts(), m);
            whole.augment(both);
            for (int i = 0; i < 4; i++) {
                whole.trainStep();
            }
            Map<String, Tensor> uninterrupted = whole.checkpoint().weights();

            DiffusionTrainer first = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), circles(8, 1), opts(), m);
            first.augment(both);
            first.trainStep();
            first.trainStep();
            DiffusionTrainer.Checkpoint halfway = first.checkpoint();
            DiffusionTrainer resumed = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), circles(8, 1), opts(), m);
            resumed.augment(both);
            resumed.restore(halfway);
            resumed.trainStep();
            resumed.trainStep();
            Map<String, Tensor> after = resumed.checkpoint().weights();
            assertEquals(uninterrupted.keySet(), after.keySet());
            uninterrupted.forEach((name, t) -> assertArrayEquals(t.data(), after.get(name).data(), 0f, name + ": resumed = uninterrupted"));

            DiffusionTrainer plain = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), circles(8, 1), opts(), m);
            for (int i = 0; i < 4; i++) {
                plain.trainStep();
            }
            Map<String, Tensor> unaugmented = plain.checkpoint().weights();
            assertTrue(uninterrupted.entrySet().stream().anyMatch(e -> !java.util.Arrays.equals(e.getValue().data(), unaugmented.get(e.getKey()).data())),
                    "the views change what is trained on");
        }
    }

    /**
     * cnf pretrain's base training: with the text encoder trained too, one step changes its embedding table (the
     * prompts are encoded where the gradient is recorded); under a v-prediction schedule the loss is taken against the
     * velocity; the weight average starts at the weights and, after one update, lies between them and the new ones.
     */
    @Test
    void theBaseTrainsWithItsTextEncoderAgainstTheVelocity() {
        try (NDManager m = manager.newSubManager()) {
            SchedulerConfig velocity = SchedulerConfig.fromJson("{\"prediction_type\": \"v_prediction\", \"rescale_betas_zero_snr\": true,"
                    + " \"beta_schedule\": \"scaled_linear\", \"beta_start\": 0.00085, \"beta_end\": 0.012}");
            BaseModel base = BaseModel.initialize(CFG, m, 7).withScheduler(velocity);
            Map<String, Tensor> textBefore = Weights.export(base.textEncoder().module());
            Map<String, Tensor> unetBefore = Weights.export(base.unet());
            DiffusionTrainer trainer = DiffusionTrainer.baseModel(base, circles(8, 1), opts(), m, true);
            assertTrue(trainer.trainedParameters().containsKey("text_encoder.token_embedding.weight"), trainer.trainedParameters().keySet().toString());
            WeightAverage average = new WeightAverage(trainer.trainedParameters(), m, 0.999);
            DiffusionTrainer.StepStats st = trainer.trainStep();
            assertFalse(st.skipped());
            average.update();
            assertNotEquals(textBefore, Weights.export(base.textEncoder().module()), "the embedding table trained");
            Map<String, Tensor> unetAfter = Weights.export(base.unet());
            average.copyToWeights();
            String name = "conv_in.weight";
            float[] before = unetBefore.get(name).data();
            float[] after = unetAfter.get(name).data();
            float[] averaged = Weights.export(base.unet()).get(name).data();
            // warm-up decay after one update: min(0.999, 1/10) = 0.1 → 0.1·before + 0.9·after
            for (int i = 0; i < before.length; i++) {
                assertEquals(0.1 * before[i] + 0.9 * after[i], averaged[i], 1e-6, "element " + i);
            }
            assertThrows(IllegalArgumentException.class, () -> new WeightAverage(trainer.trainedParameters(), m, 1.0));

            // the same step with an ε schedule has another loss: the target differs
            BaseModel epsBase = BaseModel.initialize(CFG, m, 7);
            double epsLoss = DiffusionTrainer.baseModel(epsBase, circles(8, 1), opts(), m, true).trainStep().loss();
            assertNotEquals(epsLoss, st.loss(), 1e-3);
        }
    }

    @Test
    void trainsOnAnyThreadNotOnlyTheOneThatLoadedTheEngine() throws Exception {
        // Worker pools run activities on fresh threads, where PyTorch's thread-local grad mode starts enabled.
        double[] loss = new double[1];
        Thread t = new Thread(() -> {
            try (NDManager m = manager.newSubManager()) {
                BaseModel base = BaseModel.initialize(CFG, m, 7);
                DiffusionTrainer trainer = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), circles(4, 1), opts(), m);
                loss[0] = trainer.trainStep().loss();
                loss[0] += trainer.trainStep().loss();
            }
        });
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        t.setUncaughtExceptionHandler((th, e) -> failure.set(e));
        t.start();
        t.join();
        assertNull(failure.get(), () -> "training on a new thread failed: " + failure.get());
        assertTrue(Double.isFinite(loss[0]));
    }

    /** circles(n, seed) with the images at {@code poisoned} replaced by NaN: their steps are non-finite. */
    static TrainingSet poisoned(int n, int... poisoned) {
        TrainingSet clean = circles(n, 3);
        List<float[]> images = new ArrayList<>(clean.images());
        for (int i : poisoned) {
            float[] nan = new float[images.get(i).length];
            java.util.Arrays.fill(nan, Float.NaN);
            images.set(i, nan);
        }
        return new TrainingSet(images, clean.conditions(), clean.captions());
    }

    @Test
    void nonFiniteStepsAreSkippedAndTheRestTrains() {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), poisoned(8, 5),
                    new DiffusionTrainer.Options(1, 1, 1e-3, 1e-2, 1.0, 0.5, 42), m);
            int skipped = 0;
            for (int i = 0; i < 24; i++) {
                DiffusionTrainer.StepStats st = t.trainStep();
                skipped += st.skipped() ? 1 : 0;
                assertNull(st.rolledBack(), "a poisoned image once per epoch never makes 3 in a row");
            }
            assertEquals(3, skipped, "the poisoned image, once in each of 3 epochs of 8");
            assertEquals(24, t.step());
            Weights.export(t.trained()).values().forEach(w -> {
                for (float v : w.data()) {
                    assertTrue(Float.isFinite(v));
                }
            });
        }
    }

    @Test
    void recurringNonFiniteStepsRollBackOnceThenFailClearly() {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), poisoned(4, 0, 1, 2, 3), opts(), m);
            assertTrue(t.trainStep().skipped());
            assertTrue(t.trainStep().skipped());
            DiffusionTrainer.NonFiniteTrainingException none = assertThrows(DiffusionTrainer.NonFiniteTrainingException.class, t::trainStep);
            assertTrue(none.getMessage().contains("no checkpoint to roll back to"), none.getMessage());
        }
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), poisoned(4, 0, 1, 2, 3), opts(), m);
            t.setRollbackPoint(t.checkpoint());
            t.trainStep();
            t.trainStep();
            DiffusionTrainer.StepStats third = t.trainStep();
            assertEquals(0, third.rolledBack(), "rolled back to the checkpoint at step 0");
            assertEquals(0, t.step());
            assertEquals(1, t.checkpoint().rollbacks(), "recorded, so a resumed run re-draws the same way");
            t.trainStep();
            t.trainStep();
            DiffusionTrainer.NonFiniteTrainingException again = assertThrows(DiffusionTrainer.NonFiniteTrainingException.class, t::trainStep);
            assertTrue(again.getMessage().contains("again after rolling back to step 0"), again.getMessage());
        }
    }

    @Test
    void smallScaleModeConnectsOnlyTheMiddleBlockUntilReconnected() {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            dev.cnf.model.controlnet.ControlNet cn = base.newControlNet(m, 8);
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, cn, circles(8, 1), opts(), m);
            Map<String, Tensor> before = Weights.export(cn);
            cn.connectSkips(false);
            for (int i = 0; i < 3; i++) {
                t.trainStep();
            }
            Map<String, Tensor> after = Weights.export(cn);
            java.util.Set<String> moved = new java.util.TreeSet<>();
            before.forEach((k, v) -> {
                if (!v.equals(after.get(k))) {
                    moved.add(k);
                }
            });
            assertTrue(moved.stream().anyMatch(k -> k.contains("mid")), "the middle block's zero conv trains: " + moved);
            assertTrue(moved.stream().noneMatch(k -> k.startsWith("controlnet_down_blocks")), "skip zero convs get no gradient: " + moved);
            cn.connectSkips(true);
            t.trainStep();
            Map<String, Tensor> reconnected = Weights.export(cn);
            assertTrue(reconnected.keySet().stream().anyMatch(k -> k.startsWith("controlnet_down_blocks") && !reconnected.get(k).equals(after.get(k))),
                    "after reconnecting, the skip zero convs train too");
        }
    }

    @Test
    void trainingFromCachedEncodingsIsBitwiseIdentical() {
        TrainingSet data = circles(8, 2);
        Map<String, Tensor> direct;
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), data, opts(), m);
            for (int i = 0; i < 4; i++) t.trainStep();
            direct = Weights.export(t.trained());
        }
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), data, opts(), m);
            List<float[]> latents = new ArrayList<>();
            for (float[] img : data.images()) {
                latents.add(DiffusionTrainer.encodeImage(base, m, img));
            }
            Map<String, float[]> text = new java.util.HashMap<>();
            long[] textShape = null;
            for (String p : new java.util.TreeSet<>(data.captions())) {
                NDArray e = DiffusionTrainer.encodePrompt(base, m, p);
                text.put(p, e.toFloatArray());
                textShape = java.util.Arrays.copyOfRange(e.getShape().getShape(), 1, e.getShape().dimension());
            }
            text.put("", DiffusionTrainer.encodePrompt(base, m, "").toFloatArray());
            int side = CFG.sampleSize() / base.codec().downsampling();
            long[] latentShape = {latents.get(0).length / (side * side), side, side};
            t.useEncoded(new DiffusionTrainer.Encoded(latents, latentShape, text, textShape));
            for (int i = 0; i < 4; i++) t.trainStep();
            assertEquals(direct, Weights.export(t.trained()), "the encoders' outputs, cached, train exactly the same");
        }
    }

    @Test
    void largeScaleModeUnlocksTheBaseAtItsStepAndResumesBitwise() {
        TrainingSet data = circles(8, 2);
        Map<String, Tensor> initialBase;
        Map<String, Tensor> straightBase;
        Map<String, Tensor> straightControl;
        DiffusionTrainer.Checkpoint afterUnlock;
        DiffusionTrainer.Checkpoint beforeUnlock;
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            initialBase = Weights.export(base.unet());
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), data, opts(), m);
            t.unlockBaseAt(2, 1e-3);
            t.trainStep();
            beforeUnlock = t.checkpoint();
            t.trainStep();
            assertFalse(t.baseUnlocked());
            assertEquals(initialBase, Weights.export(base.unet()), "frozen until the unlock step");
            assertNull(t.checkpoint().baseWeights());
            t.trainStep();
            assertTrue(t.baseUnlocked());
            assertNotEquals(initialBase, Weights.export(base.unet()), "trained after it");
            afterUnlock = t.checkpoint();
            assertNotNull(afterUnlock.baseWeights());
            t.trainStep();
            t.trainStep();
            straightBase = Weights.export(base.unet());
            straightControl = Weights.export(t.trained());
            // a rollback to before the unlock restores the frozen base and locks it again
            t.restore(beforeUnlock);
            assertFalse(t.baseUnlocked());
            assertEquals(initialBase, Weights.export(base.unet()));
        }
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), data, opts(), m);
            t.unlockBaseAt(2, 1e-3);
            t.restore(afterUnlock);
            t.trainStep();
            t.trainStep();
            assertEquals(straightBase, Weights.export(base.unet()), "resumed base weights");
            assertEquals(straightControl, Weights.export(t.trained()), "resumed ControlNet weights");
        }
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer frozen = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), data, opts(), m);
            assertThrows(IllegalArgumentException.class, () -> frozen.restore(afterUnlock), "a frozen-base run refuses unlocked checkpoints");
        }
    }

    @Test
    void resumingFromACheckpointIsBitwiseIdentical() throws Exception {
        TrainingSet data = circles(8, 2);
        Map<String, Tensor> straight;
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), data, opts(), m);
            for (int i = 0; i < 6; i++) t.trainStep();
            straight = Weights.export(t.trained());
        }
        DiffusionTrainer.Checkpoint ckpt;
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), data, opts(), m);
            for (int i = 0; i < 3; i++) t.trainStep();
            DiffusionTrainer.Checkpoint c = t.checkpoint();
            // Through the on-disk format, as a restarted worker would read it.
            ckpt = new DiffusionTrainer.Checkpoint(c.step(), Safetensors.read(Safetensors.write(c.weights(), null)),
                    Safetensors.read(Safetensors.write(c.optimizerState(), null)));
        }
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, base.newControlNet(m, 99), data, opts(), m);
            t.restore(ckpt);
            for (int i = 0; i < 3; i++) t.trainStep();
            assertEquals(straight, Weights.export(t.trained()));
        }
    }

    @Test
    void samplingIsDeterministicAndBounded() {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            ControlNet cn = base.newControlNet(m, 8);
            ControlNetSampler sampler = new ControlNetSampler(base, cn);
            TrainingSet d = circles(2, 3);
            ControlNetSampler.Settings s = new ControlNetSampler.Settings(4, 9f, 1f, 5);
            List<float[]> a = sampler.sample(m, d.captions(), d.conditions(), s);
            List<float[]> b = sampler.sample(m, d.captions(), d.conditions(), s);
            assertEquals(2, a.size());
            assertArrayEquals(a.get(1), b.get(1), 0f);
            for (float v : a.get(0)) {
                assertTrue(v >= -1f && v <= 1f);
            }
        }
    }

    /** A ControlNet whose every weight, the zero convolutions included, is random: its residuals are not zero. */
    static ControlNet randomControlNet(BaseModel base, NDManager m, long seed) {
        ControlNet cn = base.newControlNet(m, seed);
        Random r = new Random(seed);
        Map<String, Tensor> random = new java.util.LinkedHashMap<>();
        Weights.export(cn).forEach((name, t) -> {
            float[] data = new float[t.data().length];
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) (r.nextGaussian() * 0.05);
            }
            random.put(name, new Tensor(t.shape(), data));
        });
        Weights.load(cn, random);
        return cn;
    }

    /** diffusers' MultiControlNetModel: each net its condition and scale, residuals summed. */
    @Test
    void severalControlNetsSumTheirScaledResiduals() {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(CFG, m, 7);
            ControlNet a = randomControlNet(base, m, 8);
            ControlNet b = randomControlNet(base, m, 9);
            ControlNetSampler sampler = new ControlNetSampler(base, a);
            TrainingSet d = circles(2, 3);
            TrainingSet other = circles(2, 4);
            ControlNetSampler.Settings s = new ControlNetSampler.Settings(3, 7.5f, 1f, 5);
            List<float[]> single = sampler.sample(m, d.captions(), d.conditions(), s);
            List<float[]> one = sampler.sampleControlled(m, d.captions(), List.of(new ControlNetSampler.Control(a, d.conditions(), 1f)), s);
            assertArrayEquals(single.get(1), one.get(1), 0f, "one Control is the single-net path");
            List<float[]> halves = sampler.sampleControlled(m, d.captions(), List.of(new ControlNetSampler.Control(a, d.conditions(), 0.5f),
                    new ControlNetSampler.Control(a, d.conditions(), 0.5f)), s);
            assertArrayEquals(single.get(0), halves.get(0), 1e-5f, "two halves of the same net make the whole");
            List<float[]> silentSecond = sampler.sampleControlled(m, d.captions(), List.of(new ControlNetSampler.Control(a, d.conditions(), 1f),
                    new ControlNetSampler.Control(b, other.conditions(), 0f)), s);
            assertArrayEquals(single.get(0), silentSecond.get(0), 1e-5f, "a net at scale 0 adds nothing");
            List<float[]> both = sampler.sampleControlled(m, d.captions(), List.of(new ControlNetSampler.Control(a, d.conditions(), 1f),
                    new ControlNetSampler.Control(b, other.conditions(), 1f)), s);
            double diff = 0;
            for (int i = 0; i < both.get(0).length; i++) {
                diff = Math.max(diff, Math.abs(both.get(0)[i] - single.get(0)[i]));
            }
            assertTrue(diff > 1e-3, "the second net, with its own condition, changes the image: " + diff);
            assertThrows(IllegalArgumentException.class, () -> sampler.sampleControlled(m, d.captions(),
                    List.of(new ControlNetSampler.Control(b, List.of(other.conditions().get(0)), 1f)), s));
        }
    }
}
