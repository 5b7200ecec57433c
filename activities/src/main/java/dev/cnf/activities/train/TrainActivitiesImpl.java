package dev.cnf.activities.train;

import dev.cnf.activities.models.BaseModels;
import dev.cnf.activities.models.WeightObjects;

import ai.djl.ndarray.NDManager;
import dev.cnf.activities.dataset.ShardIndex;
import dev.cnf.activities.registry.RunKeys;
import dev.cnf.activities.imaging.EdgeProbe;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.metrics.TrainingLogRow;
import dev.cnf.activities.registry.ModelRegistry;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.model.BaseModel;
import dev.cnf.model.train.ConvergenceDetector;
import dev.cnf.model.train.Augmentation;
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

    @Override
    public Result train(Request r) {
        ActivityExecutionContext ctx = Activity.getExecutionContext();
        ShardIndex index = ShardIndex.read(store, RunKeys.datasetShardsOf(r.split().samplesKey()));
        if (index.samples() != r.split().size()) {
            throw new IllegalStateException("the dataset " + r.split().samplesKey() + " has " + index.samples() + " samples in its shards,"
                    + " the split was made for " + r.split().size() + ": the dataset changed after the split");
        }
        try (ShardStream data = new ShardStream(store, index, r.split().trainRows(), r.training().shuffleBuffer(),
                r.training().batchSize())) {
            return train(r, ctx, data, data.rowsFrom(r.split().heldOutFrom()));
        }
    }

    private Result train(Request r, ActivityExecutionContext ctx, ShardStream data, TrainingSet probeSet) {
        String ckptRoot = r.run().prefix() + "/train/checkpoints/";
        DiffusionTrainer.Options options = new DiffusionTrainer.Options(r.training().batchSize(), 1, r.training().learningRate(), 1e-2,
                1.0, r.training().promptDropout(), r.run().seed());
        Precision precision = BaseModels.precision(r.model().precision()); // refused before the base is loaded
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BaseModels.Loaded loaded = BaseModels.load(r.model().baseModel(), r.model().modelConfig(), r.model().resolution(), store, manager);
            BaseModel base = loaded.model().withHintEncoder(r.model().hintEncoder());
            ControlNet controlnet = base.newControlNet(manager, r.run().seed()); // from the float32 weights, before any cast
            if (r.training().zeroConvInit().equals("gaussian")) {
                controlnet.initializeJoinsGaussian(r.run().seed() + 1); // the paper's ablation (validated: a fresh ControlNet)
            }
            base.castTo(precision.dataType());
            Init init = initialWeights(controlnet, base, r);
            // read before this attempt heartbeats: the previous attempt's last reported checkpoint
            String lastCheckpoint = resumeFrom(ctx, ckptRoot).orElse(null);
            Progress beforeTraining = new Progress(0, r.training().trainSteps(), 0, lastCheckpoint, 0, 0);
            DiffusionTrainer trainer = DiffusionTrainer.controlNet(base, controlnet, data, options, manager);
            if (r.training().large()) {
                trainer.unlockBaseAt(r.training().unlockBaseAt(), r.training().baseLearningRate());
            }
            Progress[] latest = {beforeTraining}; // the heartbeat the encoders send while they run: the last progress reported
            try (EncodingCache encodings = new EncodingCache(store, loaded.sha256(), r.model().resolution(), precision, base, manager,
                    EncodingCache.memoryBytes(), () -> heartbeatQuietly(ctx, latest[0]))) {
                trainer.useEncoded(encodings);
                trainer.augment(new Augmentation(r.training().augment().contains("flip"), r.training().augment().contains("crop")));
                Probe probe = new Probe(base, controlnet, trainer, probeSet, r);
                List<TrainingLogRow> log = new ArrayList<>();
                if (lastCheckpoint != null) {
                    trainer.setRollbackPoint(restore(trainer, log, lastCheckpoint));
                    probe.restore(log);
                    log.add(new TrainingLogRow.Resume(trainer.step(), lastCheckpoint, ctx.getInfo().getAttempt()));
                    LOG.info("resumed training at step {} from {}", trainer.step(), lastCheckpoint);
                } else {
                    if (init.controlNetFrom() != null) {
                        log.add(new TrainingLogRow.Init(0, init.controlNetFrom(), init.baseUnetFrom()));
                    }
                    DiffusionTrainer.Deviation deviation = trainer.baseDeviation(probeSet, r.run().seed());
                    log.add(new TrainingLogRow.BaseDeviation(0, r.training().zeroConvInit(), deviation.maxAbs(), deviation.rms()));
                    LOG.info("before training, the wrapped model differs from its base by at most {} (rms {}) with {} joins",
                            deviation.maxAbs(), deviation.rms(), r.training().zeroConvInit());
                    log.add(probe.measure(manager, 0)); // the level before any training: the detector's baseline
                    trainer.setRollbackPoint(trainer.checkpoint()); // recurring non-finite steps before the first checkpoint go back here
                }
                new TrainingLoop(r, ctx, manager, trainer, controlnet, probe, log, ckptRoot, lastCheckpoint, latest).run();
                encodings.flush();
                log.add(encodings.stats().row(trainer.step()));
                LOG.info("encoder cache: {}", encodings.stats());
                return finish(r, base, trainer, probe, log, init, loaded.sha256(), ckptRoot);
            }
        }
    }

    /** Stores the trained weights, their diffusers config and the training log, and names them in the result. */
    private Result finish(Request r, BaseModel base, DiffusionTrainer trainer, Probe probe, List<TrainingLogRow> log, Init init,
                          String baseSha256, String ckptRoot) {
        String weightsKey = r.run().prefix() + "/train/controlnet.safetensors";
        WeightObjects.put(store, weightsKey, trainer.checkpoint().weights(), Map.of("format", "pt"));
        String configKey = r.run().prefix() + "/train/config.json"; // diffusers' ControlNetModel config
        store.put(configKey, base.controlNetConfig().toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json");
        String metricsKey = r.run().prefix() + "/train/metrics.jsonl";
        store.put(metricsKey, Json.lines(log), "application/x-ndjson");
        String baseUnetKey = null;
        // the base differs from the shipped one (trained here in large mode, or continued from a large-mode
        // version): the ControlNet only works with this UNet, so it travels with it
        if (trainer.baseUnlocked() || init.baseUnetFrom() != null) {
            baseUnetKey = r.run().prefix() + "/train/base_unet.safetensors";
            WeightObjects.put(store, baseUnetKey, Weights.export(base.unet()), Map.of("format", "pt"));
        }
        List<TrainingLogRow.Step> steps = log.stream().filter(TrainingLogRow.Step.class::isInstance).map(TrainingLogRow.Step.class::cast).toList();
        double loss = steps.isEmpty() ? Double.NaN : steps.get(steps.size() - 1).loss();
        int skippedSteps = (int) steps.stream().filter(TrainingLogRow.Step::skipped).count();
        return new Result(trainer.step(), loss, weightsKey, configKey, metricsKey, completeCheckpoints(ckptRoot), baseSha256,
                probe.detector.convergedStep().isPresent() ? probe.detector.convergedStep().getAsInt() : null, baseUnetKey, skippedSteps);
    }

    /**
     * The optimizer steps of one attempt, up to the request's segment end (or the detector's patience): each step logged,
     * probed and checkpointed on schedule, its progress heartbeated and reported. A pause, a cancel, an update or a worker
     * shutdown surfaces at the heartbeat; the loop then checkpoints and stops.
     */
    private final class TrainingLoop {
        private final Request r;
        private final ActivityExecutionContext ctx;
        private final NDManager manager;
        private final DiffusionTrainer trainer;
        private final ControlNet controlnet;
        private final Probe probe;
        private final List<TrainingLogRow> log;
        private final String ckptRoot;
        private final boolean smallScale;
        private final int reconnectAt;
        private final com.uber.m3.tally.Scope metricsScope = dev.cnf.activities.StageMetrics.scope();
        private final long started = System.nanoTime();
        private final int startStep;
        private final Progress[] latest;
        private String lastCheckpoint;
        private long lastReport;
        private long lastCheckpointAt = started;

        TrainingLoop(Request r, ActivityExecutionContext ctx, NDManager manager, DiffusionTrainer trainer, ControlNet controlnet, Probe probe,
                     List<TrainingLogRow> log, String ckptRoot, String lastCheckpoint, Progress[] latest) {
            this.latest = latest;
            this.r = r;
            this.ctx = ctx;
            this.manager = manager;
            this.trainer = trainer;
            this.controlnet = controlnet;
            this.probe = probe;
            this.log = log;
            this.ckptRoot = ckptRoot;
            this.lastCheckpoint = lastCheckpoint;
            this.smallScale = "small".equals(r.training().trainingMode());
            this.reconnectAt = r.training().reconnectSkipsAt();
            this.startStep = trainer.step();
        }

        void run() {
            controlnet.connectSkips(!smallScale || connectNow(trainer.step(), reconnectAt, probe));
            while (trainer.step() < r.segmentEnd() && !patienceOver(trainer.step(), probe, r)) {
                DiffusionTrainer.StepStats st;
                boolean wasUnlocked = trainer.baseUnlocked();
                try {
                    st = trainer.trainStep();
                } catch (DiffusionTrainer.NonFiniteTrainingException e) {
                    // deterministic: a retry would fail the same way
                    throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), "NonFiniteLoss");
                }
                if (!wasUnlocked && trainer.baseUnlocked()) {
                    // the step count when the base joined training
                    log.add(new TrainingLogRow.Unlock(st.step() - 1, r.training().baseLearningRate()));
                }
                double stepsPerSecond = (st.step() - startStep) / Math.max((System.nanoTime() - started) / 1e9, 1e-9);
                log.add(new TrainingLogRow.Step(st.step(), st.loss(), st.gradNorm(), stepsPerSecond, st.skipped(), st.skipReason(),
                        st.rolledBack()));
                probeAndReconnect(st.step());
                boolean checkpointed = st.step() % r.training().checkpointEvery() == 0 || st.step() == r.segmentEnd()
                        || patienceOver(st.step(), probe, r);
                if (checkpointed) {
                    lastCheckpoint = saveCheckpoint(trainer, log, ckptRoot, r);
                    lastCheckpointAt = System.nanoTime();
                }
                report(st, stepsPerSecond, checkpointed);
            }
        }

        private void probeAndReconnect(int step) {
            if (step % r.training().probeEvery() == 0 || step == r.segmentEnd()) {
                log.add(probe.measure(manager, step));
            }
            if (smallScale && !controlnet.skipsConnected() && connectNow(step, reconnectAt, probe)) {
                controlnet.connectSkips(true);
                log.add(new TrainingLogRow.Reconnect(step, reconnectAt >= 0 ? "reconnectAt" : "sudden convergence detected"));
                LOG.info("small-scale mode: skip connections reconnected at step {}", step);
            }
        }

        /** Metrics, the heartbeat and (on a checkpoint or every so often) a progress report; a stop asked for checkpoints first. */
        private void report(DiffusionTrainer.StepStats st, double stepsPerSecond, boolean checkpointed) {
            int total = r.training().trainSteps();
            metricsScope.counter("cnf_train_steps").inc(1);
            metricsScope.gauge("cnf_train_loss").update(st.loss());
            metricsScope.gauge("cnf_train_steps_per_second").update(stepsPerSecond);
            metricsScope.gauge("cnf_train_checkpoint_age_seconds").update((System.nanoTime() - lastCheckpointAt) / 1e9);
            double eta = (total - st.step()) / Math.max(stepsPerSecond, 1e-9);
            Progress progress = new Progress(st.step(), total, st.loss(), lastCheckpoint, stepsPerSecond, eta);
            latest[0] = progress;
            if (checkpointed || System.nanoTime() - lastReport > REPORT_EVERY_NANOS) {
                progressSink.report(ctx.getInfo().getWorkflowId(), ctx.getInfo().getRunId(), progress);
                lastReport = System.nanoTime();
            }
            try {
                ctx.heartbeat(progress);
            } catch (ActivityCompletionException stop) {
                // Paused, cancelled, updated, or the worker is shutting down: keep the work done so far.
                if (!checkpointed) {
                    lastCheckpoint = saveCheckpoint(trainer, log, ckptRoot, r);
                    progressSink.report(ctx.getInfo().getWorkflowId(), ctx.getInfo().getRunId(),
                            new Progress(st.step(), total, st.loss(), lastCheckpoint, stepsPerSecond, eta));
                }
                LOG.info("training interrupted at step {} ({}); checkpoint {}", st.step(), stop.getClass().getSimpleName(), lastCheckpoint);
                throw stop;
            }
        }
    }

    /**
     * A heartbeat from inside a training step (the encoders filling the cache): a stop it reports is left to the loop's own
     * heartbeat after the step, which checkpoints first.
     */
    private static void heartbeatQuietly(ActivityExecutionContext ctx, Progress progress) {
        try {
            ctx.heartbeat(progress);
        } catch (ActivityCompletionException stop) {
            LOG.debug("stop seen while encoding ({}); the loop handles it after this step", stop.getClass().getSimpleName());
        }
    }

    /** Small-scale mode: connect the skips at the given step, or (reconnectAt -1) once sudden convergence was detected. */
    private static boolean connectNow(int step, int reconnectAt, Probe probe) {
        return reconnectAt >= 0 ? step >= reconnectAt : probe.detector.convergedStep().isPresent();
    }

    /** The detector's stop action: training ends {@code stopAfterConvergence} steps after the detected step. */
    private static boolean patienceOver(int step, Probe probe, Request r) {
        return probe.detector.patienceOver(step, r.training().stopAfterConvergence());
    }

    /**
     * Convergence probe on the held-out split: condition gain + edge F1 of few-step samples, fed to the detector. Each
     * held-out condition is sampled with {@link #NOISE_DRAWS} noise draws, fixed across probes: with one draw the mean F1
     * of 8 samples had a standard error of 0.05-0.13, as large as the jump the detector looks for, so a flag was often
     * followed by a fall below the threshold (studies/tiny: 11 false positives in 20 arms).
     */
    private static final class Probe {
        private static final int DDIM_STEPS = 10;
        static final int NOISE_DRAWS = 4;
        final ConvergenceDetector detector = new ConvergenceDetector(ConvergenceDetector.Settings.defaults());
        private final BaseModel base;
        private final ControlNet controlnet;
        private final DiffusionTrainer trainer;
        private final TrainingSet heldOut;
        /** The held-out set by size: one sampling batch per aspect bucket (the whole set without buckets). */
        private final List<TrainingSet> heldOutBySize;
        private final Request r;

        Probe(BaseModel base, ControlNet controlnet, DiffusionTrainer trainer, TrainingSet heldOut, Request r) {
            this.base = base;
            this.controlnet = controlnet;
            this.trainer = trainer;
            this.heldOut = heldOut;
            this.heldOutBySize = heldOut.bySize();
            this.r = r;
        }

        TrainingLogRow.Probe measure(NDManager manager, int step) {
            long seed = r.run().seed() ^ 0x0BE5EL; // fixed noise and timesteps at every probe
            double gain = trainer.conditionGain(heldOut, seed);
            ControlNetSampler sampler = new ControlNetSampler(base, controlnet);
            List<float[]> samples = new ArrayList<>();
            List<float[]> conditions = new ArrayList<>();
            List<int[]> sizes = new ArrayList<>();
            for (int draw = 0; draw < NOISE_DRAWS; draw++) { // one held-out batch at a time: evaluation's memory, not more
                for (TrainingSet group : heldOutBySize) {
                    samples.addAll(sampler.sample(manager, group.captions(), group.conditions(), group.width(0), group.height(0),
                            new ControlNetSampler.Settings(DDIM_STEPS, r.evaluation().guidanceScale().floatValue(), 1f, seed + draw)));
                    conditions.addAll(group.conditions());
                    sizes.addAll(java.util.Collections.nCopies(group.size(), new int[] {group.width(0), group.height(0)}));
                }
            }
            double[] f1AndError = EdgeProbe.meanF1WithError(samples, conditions, sizes);
            double f1 = f1AndError[0];
            Integer converged = detector.add(new ConvergenceDetector.Point(step, gain, f1)).stream().boxed().findFirst().orElse(null);
            if (converged != null) {
                LOG.info("sudden convergence detected: the ControlNet follows its condition from step {} (edge F1 {})", converged, f1);
            }
            return new TrainingLogRow.Probe(step, gain, f1, f1AndError[1], converged);
        }

        void restore(List<TrainingLogRow> log) {
            detector.restore(log.stream().filter(TrainingLogRow.Probe.class::isInstance).map(TrainingLogRow.Probe.class::cast)
                    .map(p -> new ConvergenceDetector.Point(p.step(), p.conditionGain(), p.edgeF1())).toList());
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
        String hint = ControlNetConfig.fromJson(new String(store.get(dir + "config.json"), java.nio.charset.StandardCharsets.UTF_8)).hintEncoder();
        if (!hint.equals(r.model().hintEncoder())) {
            throw ApplicationFailure.newNonRetryableFailure("cannot continue from " + dir + ": it has the " + hint + " hint encoder and this run"
                    + " asks for hintEncoder " + r.model().hintEncoder() + "; set hintEncoder " + hint + " or train afresh", "InvalidInput");
        }
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

    private DiffusionTrainer.Checkpoint restore(DiffusionTrainer trainer, List<TrainingLogRow> log, String dir) {
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
            log.addAll(Json.readLines(store.get(dir + "metrics.jsonl"), TrainingLogRow.class));
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + dir + " is unreadable", e);
        }
    }

    private String saveCheckpoint(DiffusionTrainer trainer, List<TrainingLogRow> log, String root, Request r) {
        DiffusionTrainer.Checkpoint c = trainer.checkpoint();
        String dir = root + String.format("step-%08d/", c.step());
        WeightObjects.put(store, dir + "controlnet.safetensors", c.weights(), Map.of("format", "pt"));
        WeightObjects.put(store, dir + "optimizer.safetensors", c.optimizerState(), Map.of("optimizer", "AdamW"));
        if (c.baseWeights() != null) { // large mode past the unlock
            WeightObjects.put(store, dir + BASE_WEIGHTS, c.baseWeights(), Map.of("format", "pt"));
            WeightObjects.put(store, dir + BASE_OPTIMIZER, c.baseOptimizerState(), Map.of("optimizer", "AdamW"));
        }
        store.put(dir + "metrics.jsonl", Json.lines(log), "application/x-ndjson");
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("step", c.step());
        state.put("rollbacks", c.rollbacks());
        state.put("request", r);
        store.put(dir + "state.json", Json.bytes(state), "application/json"); // written last: marks the checkpoint complete
        trainer.setRollbackPoint(c);
        // the metrics log so far, at a stable key, for dashboards and `cnf status` readers between checkpoints
        store.put(r.run().prefix() + "/train/metrics.jsonl", Json.lines(log), "application/x-ndjson");
        List<String> complete = completeCheckpoints(root);
        for (int i = 0; i < complete.size() - KEEP_CHECKPOINTS; i++) {
            for (String key : store.list(complete.get(i))) {
                store.delete(key);
            }
        }
        return dir;
    }
}
