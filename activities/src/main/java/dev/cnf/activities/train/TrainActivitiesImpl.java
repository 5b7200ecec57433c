package dev.cnf.activities.train;

import dev.cnf.activities.models.BaseModels;
import dev.cnf.activities.models.WeightObjects;

import ai.djl.ndarray.NDManager;
import dev.cnf.activities.dataset.HeldOut;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.imaging.EdgeProbe;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.registry.ModelRegistry;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.BaseModel;
import dev.cnf.model.train.ConvergenceDetector;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.train.Precision;
import dev.cnf.model.train.TrainingSet;
import dev.cnf.workflows.stages.TrainActivities;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCompletionException;
import io.temporal.failure.ApplicationFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Trains on the conditioned samples. Checkpoints (weights, optimizer moments, metrics so far, then
 * state.json as the commit marker) go to {@code <run>/train/checkpoints/step-N/}; the last
 * {@link #KEEP_CHECKPOINTS} are kept. A retried attempt resumes from the newest complete checkpoint,
 * and because all randomness is derived from (seed, step) it ends with the same weights.
 */
public class TrainActivitiesImpl implements TrainActivities {
    /** Large-mode checkpoints also hold the base UNet and its optimizer moments. */
    private static final String BASE_WEIGHTS = "base_unet.safetensors";
    private static final String BASE_OPTIMIZER = "base_unet_optimizer.safetensors";
    static final int KEEP_CHECKPOINTS = 3;
    private static final Logger LOG = LoggerFactory.getLogger(TrainActivitiesImpl.class);

    private final ObjectStore store;

    /**
     * How often, at most, progress goes to the workflow besides checkpoints: each report is a history
     * event, and a week of training at one a minute stays far below Temporal's 50k-event history limit.
     * (Live step and loss are in the heartbeat, which `cnf status` also shows.)
     */
    static final long REPORT_EVERY_NANOS = 60_000_000_000L;
    private final ProgressSink progressSink;

    public TrainActivitiesImpl(ObjectStore store) {
        this(store, ProgressSink.NONE);
    }

    public TrainActivitiesImpl(ObjectStore store, ProgressSink progressSink) {
        this.progressSink = progressSink;
        OpenCv.load();
        this.store = store;
    }

    /** Loads every sample's image ([-1,1]) and condition ([0,1]) as CHW arrays. */
    static TrainingSet load(ObjectStore store, List<Sample> samples) {
        List<float[]> images = new ArrayList<>();
        List<float[]> conditions = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        for (Sample s : samples) {
            images.add(OpenCv.toChw(OpenCv.decodeBgr(store.get(s.imageKey())), -1f, 1f));
            conditions.add(OpenCv.toChw(OpenCv.decodeBgr(store.get(s.conditionKey())), 0f, 1f));
            captions.add(s.caption());
        }
        return new TrainingSet(images, conditions, captions);
    }

    @Override
    public Result train(Request r) {
        ActivityExecutionContext ctx = Activity.getExecutionContext();
        HeldOut split = HeldOut.split(SampleTables.read(store, r.samplesKey()), r.heldOut());
        TrainingSet data = load(store, split.train());
        TrainingSet probeSet = load(store, split.heldOut());
        String ckptRoot = r.runPrefix() + "/train/checkpoints/";
        DiffusionTrainer.Options options = new DiffusionTrainer.Options(r.batchSize(), 1, r.learningRate(), 1e-2, 1.0, 0.5, r.seed());
        Precision precision = BaseModels.precision(r.precision()); // refused before the base is loaded
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BaseModels.Loaded loaded = BaseModels.load(r.baseModel(), r.modelConfig(), r.resolution(), store, manager);
            BaseModel base = loaded.model();
            ControlNet controlnet = base.newControlNet(manager, r.seed()); // from the float32 weights, before any cast
            base.castTo(precision.dataType());
            Init init = initialWeights(controlnet, base, r);
            // read before this attempt heartbeats: the previous attempt's last reported checkpoint
            String lastCheckpoint = resumeFrom(ctx, ckptRoot).orElse(null);
            Progress beforeTraining = new Progress(0, r.steps(), 0, lastCheckpoint, 0, 0);
            DiffusionTrainer trainer = DiffusionTrainer.controlNet(base, controlnet, data, options, manager);
            if ("large".equals(r.mode())) {
                trainer.unlockBaseAt(r.unlockBaseAt(), r.baseLearningRate());
            }
            EncodingCache.Prepared encoded = new EncodingCache(store, loaded.sha256(), r.resolution(), precision)
                    // keeps the previous attempt's checkpoint in the heartbeat details while the encoders run
                    .prepare(base, manager, data, () -> ctx.heartbeat(beforeTraining));
            trainer.useEncoded(encoded.encoded());
            LOG.info("encoder cache: {}", encoded.stats());
            Probe probe = new Probe(base, controlnet, trainer, probeSet, r.resolution(), r);
            List<Map<String, Object>> metrics = new ArrayList<>();
            if (lastCheckpoint != null) {
                trainer.setRollbackPoint(restore(trainer, metrics, lastCheckpoint));
                probe.restore(metrics);
                Map<String, Object> resumed = new LinkedHashMap<>();
                resumed.put("kind", "resume");
                resumed.put("step", trainer.step());
                resumed.put("checkpoint", lastCheckpoint);
                resumed.put("attempt", ctx.getInfo().getAttempt());
                metrics.add(resumed);
                LOG.info("resumed training at step {} from {}", trainer.step(), lastCheckpoint);
            } else {
                if (init.controlNetFrom() != null) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("kind", "init");
                    row.put("step", 0);
                    row.put("from", init.controlNetFrom());
                    if (init.baseUnetFrom() != null) {
                        row.put("baseUnetFrom", init.baseUnetFrom());
                    }
                    metrics.add(row);
                }
                metrics.add(encoded.stats().row());
                metrics.add(probe.measure(manager, 0)); // the level before any training: the detector's baseline
                trainer.setRollbackPoint(trainer.checkpoint()); // recurring non-finite steps before the first checkpoint go back here
            }
            boolean smallScale = "small".equals(r.mode());
            int reconnectAt = r.reconnectAt() == null ? -1 : r.reconnectAt();
            controlnet.connectSkips(!smallScale || connectNow(trainer.step(), reconnectAt, probe));
            long started = System.nanoTime();
            long lastReport = 0;
            long lastCheckpointAt = started;
            com.uber.m3.tally.Scope metricsScope = dev.cnf.activities.StageMetrics.scope();
            int startStep = trainer.step();
            double loss = metrics.stream().filter(m -> m.containsKey("loss")).reduce((a, b) -> b)
                    .map(m -> Double.parseDouble(String.valueOf(m.get("loss")))).orElse(Double.NaN);
            while (trainer.step() < r.steps() && !patienceOver(trainer.step(), probe, r)) {
                DiffusionTrainer.StepStats st;
                boolean wasUnlocked = trainer.baseUnlocked();
                try {
                    st = trainer.trainStep();
                } catch (DiffusionTrainer.NonFiniteTrainingException e) {
                    // deterministic: a retry would fail the same way
                    throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), "NonFiniteLoss");
                }
                loss = st.loss();
                if (!wasUnlocked && trainer.baseUnlocked()) {
                    Map<String, Object> unlock = new LinkedHashMap<>();
                    unlock.put("kind", "unlock");
                    unlock.put("step", st.step() - 1); // the step count when the base joined training
                    unlock.put("baseLearningRate", r.baseLearningRate());
                    metrics.add(unlock);
                }
                double elapsed = (System.nanoTime() - started) / 1e9;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("kind", "step");
                row.put("step", st.step());
                row.put("loss", st.loss());
                row.put("gradNorm", st.gradNorm());
                row.put("stepsPerSecond", (st.step() - startStep) / Math.max(elapsed, 1e-9));
                row.put("skipped", st.skipped());
                if (st.skipReason() != null) {
                    row.put("skipReason", st.skipReason());
                }
                if (st.rolledBack() != null) {
                    row.put("rolledBackTo", st.rolledBack());
                }
                metrics.add(row);
                if (st.step() % r.probeEvery() == 0 || st.step() == r.steps()) {
                    metrics.add(probe.measure(manager, st.step()));
                }
                if (smallScale && !controlnet.skipsConnected() && connectNow(st.step(), reconnectAt, probe)) {
                    controlnet.connectSkips(true);
                    Map<String, Object> event = new LinkedHashMap<>();
                    event.put("kind", "reconnect");
                    event.put("step", st.step());
                    event.put("why", reconnectAt >= 0 ? "reconnectAt" : "sudden convergence detected");
                    metrics.add(event);
                    LOG.info("small-scale mode: skip connections reconnected at step {}", st.step());
                }
                boolean checkpointed = st.step() % r.checkpointEvery() == 0 || st.step() == r.steps() || patienceOver(st.step(), probe, r);
                if (checkpointed) {
                    lastCheckpoint = saveCheckpoint(trainer, metrics, ckptRoot, r);
                    lastCheckpointAt = System.nanoTime();
                }
                double sps = (st.step() - startStep) / Math.max(elapsed, 1e-9);
                metricsScope.counter("cnf_train_steps").inc(1);
                metricsScope.gauge("cnf_train_loss").update(st.loss());
                metricsScope.gauge("cnf_train_steps_per_second").update(sps);
                metricsScope.gauge("cnf_train_checkpoint_age_seconds").update((System.nanoTime() - lastCheckpointAt) / 1e9);
                Progress progress = new Progress(st.step(), r.steps(), st.loss(), lastCheckpoint, sps, (r.steps() - st.step()) / Math.max(sps, 1e-9));
                if (checkpointed || System.nanoTime() - lastReport > REPORT_EVERY_NANOS) {
                    progressSink.report(ctx.getInfo().getWorkflowId(), ctx.getInfo().getRunId(), progress);
                    lastReport = System.nanoTime();
                }
                try {
                    ctx.heartbeat(progress);
                } catch (ActivityCompletionException stop) {
                    // Paused, cancelled, updated, or the worker is shutting down: keep the work done so far.
                    if (!checkpointed) {
                        lastCheckpoint = saveCheckpoint(trainer, metrics, ckptRoot, r);
                        progressSink.report(ctx.getInfo().getWorkflowId(), ctx.getInfo().getRunId(),
                                new Progress(st.step(), r.steps(), st.loss(), lastCheckpoint, sps, progress.etaSeconds()));
                    }
                    LOG.info("training interrupted at step {} ({}); checkpoint {}", st.step(), stop.getClass().getSimpleName(), lastCheckpoint);
                    throw stop;
                }
            }
            String weightsKey = r.runPrefix() + "/train/controlnet.safetensors";
            WeightObjects.put(store, weightsKey, trainer.checkpoint().weights(), Map.of("format", "pt"));
            String configKey = r.runPrefix() + "/train/config.json"; // diffusers' ControlNetModel config
            store.put(configKey, base.controlNetConfig().toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json");
            String metricsKey = r.runPrefix() + "/train/metrics.jsonl";
            store.put(metricsKey, Json.lines(metrics), "application/x-ndjson");
            String baseUnetKey = null;
            // the base differs from the shipped one (trained here in large mode, or continued from a large-mode
            // version): the ControlNet only works with this UNet, so it travels with it
            if (trainer.baseUnlocked() || init.baseUnetFrom() != null) {
                baseUnetKey = r.runPrefix() + "/train/base_unet.safetensors";
                WeightObjects.put(store, baseUnetKey, Weights.export(base.unet()), Map.of("format", "pt"));
            }
            int skippedSteps = (int) metrics.stream().filter(m -> "step".equals(m.get("kind")) && Boolean.TRUE.equals(m.get("skipped"))).count();
            return new Result(trainer.step(), loss, weightsKey, configKey, metricsKey, completeCheckpoints(ckptRoot), loaded.sha256(),
                    probe.detector.convergedStep().isPresent() ? probe.detector.convergedStep().getAsInt() : null, baseUnetKey, skippedSteps);
        }
    }

    /** Small-scale mode: connect the skips at the given step, or (reconnectAt -1) once sudden convergence was detected. */
    private static boolean connectNow(int step, int reconnectAt, Probe probe) {
        return reconnectAt >= 0 ? step >= reconnectAt : probe.detector.convergedStep().isPresent();
    }

    /** The detector's stop action: training ends {@code stopAfterConvergence} steps after the detected step. */
    private static boolean patienceOver(int step, Probe probe, Request r) {
        return r.stopAfterConvergence() != null && probe.detector.patienceOver(step, r.stopAfterConvergence());
    }

    /** Convergence probe on the held-out split: condition gain + edge F1 of few-step samples, fed to the detector. */
    private static final class Probe {
        private static final int DDIM_STEPS = 10;
        final ConvergenceDetector detector = new ConvergenceDetector(ConvergenceDetector.Settings.defaults());
        private final BaseModel base;
        private final ControlNet controlnet;
        private final DiffusionTrainer trainer;
        private final TrainingSet heldOut;
        private final int size;
        private final Request r;

        Probe(BaseModel base, ControlNet controlnet, DiffusionTrainer trainer, TrainingSet heldOut, int size, Request r) {
            this.base = base;
            this.controlnet = controlnet;
            this.trainer = trainer;
            this.heldOut = heldOut;
            this.size = size;
            this.r = r;
        }

        Map<String, Object> measure(NDManager manager, int step) {
            long seed = r.seed() ^ 0x0BE5EL; // fixed noise and timesteps at every probe
            double gain = trainer.conditionGain(heldOut.images(), heldOut.conditions(), heldOut.captions(), seed);
            List<float[]> samples = new ControlNetSampler(base, controlnet).sample(manager, heldOut.captions(), heldOut.conditions(),
                    new ControlNetSampler.Settings(DDIM_STEPS, (float) r.guidanceScale(), 1f, seed));
            double f1 = EdgeProbe.meanF1(samples, heldOut.conditions(), size);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("kind", "probe");
            row.put("step", step);
            row.put("conditionGain", gain);
            row.put("edgeF1", f1);
            detector.add(new ConvergenceDetector.Point(step, gain, f1)).ifPresent(s -> {
                row.put("convergedStep", s);
                LOG.info("sudden convergence detected: the ControlNet follows its condition from step {} (edge F1 {})", s, f1);
            });
            return row;
        }

        void restore(List<Map<String, Object>> metrics) {
            List<ConvergenceDetector.Point> points = new ArrayList<>();
            for (Map<String, Object> m : metrics) {
                if ("probe".equals(m.get("kind"))) {
                    points.add(new ConvergenceDetector.Point(((Number) m.get("step")).intValue(),
                            Double.parseDouble(String.valueOf(m.get("conditionGain"))), Double.parseDouble(String.valueOf(m.get("edgeF1")))));
                }
            }
            detector.restore(points);
        }
    }

    /** Loads the latest published weights of {@code r.continueFrom()} if asked and present; returns their key, or null. */
    /** Where the starting weights came from: null for a fresh ControlNet and the shipped base UNet. */
    record Init(String controlNetFrom, String baseUnetFrom) {}

    /**
     * With continueFrom, the latest version's ControlNet, and its jointly trained base UNet when that version
     * was trained in large mode (the ControlNet expects it); otherwise a fresh copy of the encoder.
     */
    private Init initialWeights(ControlNet controlnet, BaseModel base, Request r) {
        if (r.continueFrom() == null) {
            return new Init(null, null);
        }
        ModelRegistry registry = new ModelRegistry(store);
        Optional<String> version = registry.latestVersion(r.continueFrom());
        if (version.isEmpty()) {
            LOG.info("no published version of {} to continue from; training starts fresh", r.continueFrom());
            return new Init(null, null);
        }
        String dir = ModelRegistry.dir(r.continueFrom(), version.get());
        String weights = dir + ModelRegistry.WEIGHTS_FILE;
        String baseUnet = dir + ModelRegistry.BASE_UNET_FILE;
        boolean withBase = store.exists(baseUnet);
        try {
            Weights.load(controlnet, WeightObjects.get(store, weights));
            if (withBase) {
                Weights.load(base.unet(), WeightObjects.get(store, baseUnet)); // an SD UNet is 3.4 GB: through a file
            }
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure("cannot continue from " + dir + ": " + e.getMessage(), "InvalidInput");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Init(weights, withBase ? baseUnet : null);
    }

    /** The heartbeat's checkpoint if a previous attempt reported one, else the newest complete one in storage. */
    private Optional<String> resumeFrom(ActivityExecutionContext ctx, String ckptRoot) {
        Optional<Progress> progress = ctx.getHeartbeatDetails(Progress.class);
        if (progress.isPresent() && progress.get().lastCheckpointKey() != null
                && store.exists(progress.get().lastCheckpointKey() + "state.json")) {
            return Optional.of(progress.get().lastCheckpointKey());
        }
        List<String> complete = completeCheckpoints(ckptRoot);
        return complete.isEmpty() ? Optional.empty() : Optional.of(complete.get(complete.size() - 1));
    }

    private List<String> completeCheckpoints(String ckptRoot) {
        List<String> out = new ArrayList<>();
        for (String key : store.list(ckptRoot)) {
            if (key.endsWith("/state.json")) {
                out.add(key.substring(0, key.length() - "state.json".length()));
            }
        }
        return out; // step-%08d sorts by step
    }

    @SuppressWarnings("unchecked")
    private DiffusionTrainer.Checkpoint restore(DiffusionTrainer trainer, List<Map<String, Object>> metrics, String dir) {
        try {
            Map<String, Object> state = Json.read(store.get(dir + "state.json"), Map.class);
            int step = ((Number) state.get("step")).intValue();
            int rollbacks = state.get("rollbacks") instanceof Number n ? n.intValue() : 0;
            boolean withBase = store.exists(dir + BASE_WEIGHTS);
            DiffusionTrainer.Checkpoint c = new DiffusionTrainer.Checkpoint(step,
                    WeightObjects.get(store, dir + "controlnet.safetensors"), WeightObjects.get(store, dir + "optimizer.safetensors"), rollbacks,
                    withBase ? WeightObjects.get(store, dir + BASE_WEIGHTS) : null,
                    withBase ? WeightObjects.get(store, dir + BASE_OPTIMIZER) : null);
            trainer.restore(c);
            metrics.addAll((List<Map<String, Object>>) (List<?>) Json.readLines(store.get(dir + "metrics.jsonl"), Map.class));
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + dir + " is unreadable", e);
        }
    }

    private String saveCheckpoint(DiffusionTrainer trainer, List<Map<String, Object>> metrics, String root, Request r) {
        DiffusionTrainer.Checkpoint c = trainer.checkpoint();
        String dir = root + String.format("step-%08d/", c.step());
        WeightObjects.put(store, dir + "controlnet.safetensors", c.weights(), Map.of("format", "pt"));
        WeightObjects.put(store, dir + "optimizer.safetensors", c.optimizerState(), Map.of("optimizer", "AdamW"));
        if (c.baseWeights() != null) { // large mode past the unlock
            WeightObjects.put(store, dir + BASE_WEIGHTS, c.baseWeights(), Map.of("format", "pt"));
            WeightObjects.put(store, dir + BASE_OPTIMIZER, c.baseOptimizerState(), Map.of("optimizer", "AdamW"));
        }
        store.put(dir + "metrics.jsonl", Json.lines(metrics), "application/x-ndjson");
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("step", c.step());
        state.put("rollbacks", c.rollbacks());
        state.put("request", r);
        store.put(dir + "state.json", Json.bytes(state), "application/json"); // written last: marks the checkpoint complete
        trainer.setRollbackPoint(c);
        // the metrics log so far, at a stable key, for dashboards and `cnf status` readers between checkpoints
        store.put(r.runPrefix() + "/train/metrics.jsonl", Json.lines(metrics), "application/x-ndjson");
        List<String> complete = completeCheckpoints(root);
        for (int i = 0; i < complete.size() - KEEP_CHECKPOINTS; i++) {
            for (String key : store.list(complete.get(i))) {
                store.delete(key);
            }
        }
        return dir;
    }
}
