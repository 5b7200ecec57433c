package dev.cnf.model.train;

import dev.cnf.model.BaseModel;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.nn.GradMode;
import dev.cnf.model.nn.LibtorchOps;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.nn.Scalars;
import dev.cnf.model.nn.TorchRuntime;
import dev.cnf.model.schedulers.NoiseSchedule;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Epsilon-prediction diffusion training (MSE at uniformly sampled timesteps, random prompt dropout,
 * gradient accumulation, global-norm clipping, AdamW) of either a ControlNet against a frozen base
 * ({@link #controlNet}) or the base UNet itself ({@link #baseModel}, what `cnf pretrain` runs).
 *
 * <p>All randomness of step {@code s} is drawn from a generator seeded by (seed, s) and the data
 * order from (seed, epoch), so a run restored from a checkpoint continues exactly as if it had
 * never stopped.
 */
public final class DiffusionTrainer {
    /**
     * Hyper-parameters; {@code emptyPromptRate} is the paper's 50% prompt dropout.
     *
     * @param maxNonFinite consecutive non-finite steps (each skipped) before rolling back to the last good checkpoint
     */
    public record Options(int batchSize, int gradAccumulation, double learningRate, double weightDecay,
                          double maxGradNorm, double emptyPromptRate, long seed, int maxNonFinite) {
        public Options {
            if (batchSize < 1 || gradAccumulation < 1 || maxNonFinite < 1) {
                throw new IllegalArgumentException("batchSize, gradAccumulation and maxNonFinite must be >= 1");
            }
        }

        public Options(int batchSize, int gradAccumulation, double learningRate, double weightDecay, double maxGradNorm,
                       double emptyPromptRate, long seed) {
            this(batchSize, gradAccumulation, learningRate, weightDecay, maxGradNorm, emptyPromptRate, seed, DEFAULT_MAX_NON_FINITE);
        }
    }

    static final int DEFAULT_MAX_NON_FINITE = 3;

    /**
     * @param skipped    the loss or gradients were not finite: gradients discarded, no update
     * @param rolledBack non-null when this step ended in a rollback: the step the trainer went back to
     * @param skipReason for a skipped step, what was not finite (the loss, or the first parameter's gradient); else null
     */
    public record StepStats(int step, double loss, double gradNorm, boolean skipped, Integer rolledBack, String skipReason) {}

    private final BaseModel base;
    private final ControlNet controlnet;
    private final TrainingData data;
    private final Options options;
    private final NDManager manager;
    private final NoiseSchedule schedule;
    /** The base's scheduler predicts the velocity: the loss's target is v, not the noise. */
    private final boolean velocity;
    private final ParameterStore ps;
    private final Map<String, Parameter> trainable;
    private final AdamW optimizer;
    /** cnf pretrain's option: the text encoder's parameters train with the base UNet. */
    private final boolean textEncoderTrained;
    /** Set when the base computes in a half type: the ControlNet trains through half-precision copies of its weights. */
    private final MixedPrecisionStore mixed;
    private int step;
    /** The optimizer's learning rate: options.learningRate() unless a schedule sets it (cnf pretrain's cosine decay). */
    private double learningRate;
    private int nonFiniteTotal;
    private int consecutiveNonFinite;
    /** Rollbacks so far: they re-draw the data order and noise of the steps after the rollback point. */
    private int rollbacks;
    private Checkpoint rollbackPoint;
    private boolean rolledBackSinceGood;
    private Encodings encoded;
    /** The paper's large-scale mode: from this step on the base UNet trains too, with its own optimizer. */
    private int unlockBaseAt = -1;
    private double baseLearningRate;
    private AdamW baseOptimizer;
    private Map<String, Parameter> baseParameters = Map.of();
    /** The frozen base as it was, to go back to when a rollback lands before the unlock. */
    private Map<String, Tensor> baseBeforeUnlock;
    private static final Logger LOG = LoggerFactory.getLogger(DiffusionTrainer.class);
    private Runnable beforeBackward = () -> { };

    private Augmentation augmentation = Augmentation.NONE;

    /**
     * Trains on augmented views ({@link Augmentation}): image and condition flipped and cropped alike. Latents are then
     * encoded from each view as its batch is built (a cached latent is of the unaugmented image); prompts still come
     * from the encodings when there are any.
     */
    public void augment(Augmentation a) {
        this.augmentation = a;
    }

    /** Runs {@code hook} between each micro-batch's forward and backward pass (ScalarOpsGuardTest collects garbage there). */
    public void beforeBackward(Runnable hook) {
        this.beforeBackward = hook;
    }

    /**
     * The frozen encoders' outputs for an in-memory training set, computed beforehand: latents per row, and the text
     * embedding of each caption and of "" (the dropped prompt).
     *
     * @param latentShape one sample's latent shape, without the batch dimension
     * @param textShape   one prompt's embedding shape, without the batch dimension
     */
    public record Encoded(List<float[]> latents, long[] latentShape, Map<String, float[]> text, long[] textShape) implements Encodings {
        @Override
        public float[] latent(TrainingPair pair) {
            return latents.get(pair.row());
        }

        @Override
        public float[] text(String prompt) {
            float[] e = text.get(prompt);
            if (e == null) {
                throw new IllegalStateException("no cached text embedding for prompt '" + prompt + "'");
            }
            return e;
        }
    }

    /** Trains from the frozen encoders' outputs: the codec and the text encoder are not run again. */
    public void useEncoded(Encodings e) {
        if (e instanceof Encoded pre && pre.latents().size() != data.size()) {
            throw new IllegalArgumentException("encoded latents for " + pre.latents().size() + " images, the training set has " + data.size());
        }
        this.encoded = e;
    }

    /** Encodes one square image ([-1,1] CHW) with the frozen codec: what {@link Encoded#latents()} holds. */
    public static float[] encodeImage(BaseModel base, NDManager manager, float[] chw) {
        int side = TrainingPair.squareSide(chw);
        return encodeImage(base, manager, chw, side, side);
    }

    /** Encodes one {@code width x height} image ([-1,1] CHW) with the frozen codec. */
    public static float[] encodeImage(BaseModel base, NDManager manager, float[] chw, int width, int height) {
        try (NDManager m = manager.newSubManager()) {
            NDArray image = m.create(chw, new Shape(1, 3, height, width)).toType(base.computeType(), false);
            return base.codec().encode(image).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    /** Embeds one prompt with the frozen text encoder, in float32: what {@link Encoded#text()} holds. */
    public static NDArray encodePrompt(BaseModel base, NDManager manager, String prompt) {
        return base.textEncoder().encode(new ParameterStore(manager, false), manager, List.of(prompt)).toType(DataType.FLOAT32, false);
    }

    private DiffusionTrainer(BaseModel base, ControlNet controlnet, TrainingData data, Options options, NDManager manager,
                             Map<String, Parameter> alsoTrained) {
        this.base = base;
        this.controlnet = controlnet;
        this.data = data;
        this.options = options;
        this.manager = manager;
        this.schedule = base.scheduler().noiseSchedule();
        this.velocity = base.scheduler().predictsVelocity();
        Map<String, Parameter> params = new LinkedHashMap<>(trained().namedParameters());
        params.putAll(alsoTrained);
        this.trainable = params;
        this.textEncoderTrained = !alsoTrained.isEmpty();
        DataType compute = base.computeType();
        if (controlnet == null && compute != DataType.FLOAT32) {
            throw new IllegalArgumentException("training the base UNet needs float32 weights; this base is stored as " + compute);
        }
        this.mixed = compute == DataType.FLOAT32 ? null : new MixedPrecisionStore(manager, compute, trainable.values());
        this.ps = mixed != null ? mixed : new ParameterStore(manager, false);
        this.optimizer = AdamW.withTorchDefaults(trainable, manager, options.weightDecay());
        this.learningRate = options.learningRate();
        TorchRuntime.reuseFreedMemory(manager);
    }

    /** Sets the learning rate of the steps that follow (a schedule's value for the next step). */
    public void setLearningRate(double learningRate) {
        if (!(learningRate >= 0)) {
            throw new IllegalArgumentException("learning rate must be >= 0, got " + learningRate);
        }
        this.learningRate = learningRate;
    }

    /** Trains {@code controlnet}; the base stays frozen. */
    public static DiffusionTrainer controlNet(BaseModel base, ControlNet controlnet, TrainingData data, Options options, NDManager manager) {
        return new DiffusionTrainer(base, controlnet, data, options, manager, Map.of());
    }

    /**
     * Trains the base UNet (text-to-image) and, with {@code withTextEncoder}, the text encoder with it (its parameters under
     * {@code text_encoder.}); the codec stays fixed. Conditions are ignored.
     */
    public static DiffusionTrainer baseModel(BaseModel base, TrainingData data, Options options, NDManager manager, boolean withTextEncoder) {
        base.unet().namedParameters().values().forEach(p -> p.freeze(false));
        Map<String, Parameter> extra = new LinkedHashMap<>();
        if (withTextEncoder) {
            base.textEncoder().module().namedParameters().forEach((name, p) -> {
                p.freeze(false);
                extra.put(TEXT_ENCODER_PREFIX + name, p);
            });
        }
        return new DiffusionTrainer(base, null, data, options, manager, extra);
    }

    /** The text encoder's parameters among {@link #trainedParameters()}: their names may repeat the UNet's. */
    static final String TEXT_ENCODER_PREFIX = "text_encoder.";

    /** The parameters this trainer updates, by name. */
    public Map<String, Parameter> trainedParameters() {
        return trainable;
    }

    /**
     * The paper's large-scale mode: after {@code step} steps of ControlNet training, the base UNet's weights
     * are unlocked and trained jointly with learning rate {@code learningRate} (their own AdamW; gradients
     * clipped together with the ControlNet's).
     */
    public void unlockBaseAt(int step, double learningRate) {
        if (controlnet == null) {
            throw new IllegalStateException("only a ControlNet trainer has a frozen base to unlock");
        }
        if (base.computeType() != DataType.FLOAT32) {
            throw new IllegalStateException("the large-scale mode trains the base UNet, whose weights are stored as "
                    + base.computeType() + "; it needs a float32 base (no reduced-precision cast)");
        }
        if (step < 0 || !(learningRate > 0)) {
            throw new IllegalArgumentException("unlock step must be >= 0 and the base learning rate > 0");
        }
        this.unlockBaseAt = step;
        this.baseLearningRate = learningRate;
    }

    /** Whether the base UNet is being trained (large-scale mode, past the unlock step). */
    public boolean baseUnlocked() {
        return baseOptimizer != null;
    }

    private void unlockBase() {
        baseBeforeUnlock = Weights.export(base.unet());
        base.unet().namedParameters().values().forEach(p -> p.freeze(false));
        baseParameters = base.unet().namedParameters();
        baseOptimizer = AdamW.withTorchDefaults(baseParameters, manager, options.weightDecay());
        LOG.info("step {}: base UNet unlocked ({} tensors, learning rate {})", step, baseParameters.size(), baseLearningRate);
    }

    private void relockBase() {
        base.unet().namedParameters().values().forEach(p -> p.freeze(true));
        Weights.load(base.unet(), baseBeforeUnlock);
        baseParameters = Map.of();
        baseOptimizer = null;
    }

    /** The block whose weights this trainer updates. */
    public NamedBlock trained() {
        return controlnet != null ? controlnet : base.unet();
    }

    public int step() {
        return step;
    }


    /**
     * One optimizer step over {@code gradAccumulation} micro-batches. A step whose loss or gradient norm is
     * not finite is skipped (gradients discarded, no update, the step's data consumed). After
     * {@code maxNonFinite} skipped steps in a row the trainer rolls back to its rollback point (the last
     * good checkpoint, see {@link #setRollbackPoint}) and re-draws data order and noise from there; if it
     * happens again before the next good checkpoint, training fails with a {@link NonFiniteTrainingException}.
     */
    public StepStats trainStep() {
        GradMode.disableOnThisThread();
        if (unlockBaseAt >= 0 && step >= unlockBaseAt && baseOptimizer == null) {
            unlockBase();
        }
        double lossSum = 0;
        double gradNorm;
        boolean finite;
        String cause = null;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (int micro = 0; micro < options.gradAccumulation(); micro++) {
                lossSum += microBatch(micro);
            }
            gradNorm = clipGradients();
            finite = Double.isFinite(lossSum) && Double.isFinite(gradNorm);
            if (!finite) {
                cause = nonFiniteCause(lossSum, gradNorm);
            }
            if (finite) {
                optimizer.step(learningRate, this::gradient);
                if (baseOptimizer != null) {
                    baseOptimizer.step(baseLearningRate);
                }
            }
            discardGradients(finite);
        }
        step++;
        double loss = lossSum / options.gradAccumulation();
        if (finite) {
            consecutiveNonFinite = 0;
            return new StepStats(step, loss, gradNorm, false, null, null);
        }
        nonFiniteTotal++;
        consecutiveNonFinite++;
        LOG.warn("step {}: {}; skipped ({} in a row, rollback after {})", step, cause, consecutiveNonFinite, options.maxNonFinite());
        if (consecutiveNonFinite < options.maxNonFinite()) {
            return new StepStats(step, loss, gradNorm, true, null, cause);
        }
        if (rollbackPoint == null || rolledBackSinceGood) {
            throw new NonFiniteTrainingException("steps " + (step - consecutiveNonFinite + 1) + "-" + step + " were non-finite"
                    + (rolledBackSinceGood ? " again after rolling back to step " + rollbackPoint.step() : " and there is no checkpoint to roll back to")
                    + "; lower the learning rate or check the data (NaN/Inf inputs)");
        }
        Checkpoint to = rollbackPoint;
        restore(to);
        rollbacks = to.rollbacks() + 1;
        rolledBackSinceGood = true;
        consecutiveNonFinite = 0;
        LOG.warn("rolled back to step {} after {} non-finite steps in a row; data order and noise re-drawn from there",
                to.step(), options.maxNonFinite());
        return new StepStats(step, loss, gradNorm, true, to.step(), cause);
    }

    /** What was not finite: the loss, or the gradients and the first parameter (in declaration order) whose gradient was not. */
    private String nonFiniteCause(double lossSum, double gradNorm) {
        if (!Double.isFinite(lossSum)) {
            return "non-finite loss " + lossSum / options.gradAccumulation() + " (gradient norm " + gradNorm + ")";
        }
        for (Map.Entry<String, NDArray> e : gradients().entrySet()) {
            try (NDArray sum = e.getValue().sum(); NDArray wide = sum.toType(DataType.FLOAT64, false)) {
                if (!Double.isFinite(wide.getDouble())) {
                    return "finite loss " + lossSum / options.gradAccumulation() + " but non-finite gradients, first in " + e.getKey();
                }
            }
        }
        return "finite loss " + lossSum / options.gradAccumulation() + " but gradient norm " + gradNorm;
    }

    /** The loss and float32 gradients (before clipping) of the step that {@link #trainStep} would take next. */
    public record StepGradients(double loss, Map<String, float[]> gradients) {}

    /**
     * Computes the next step's loss and gradients (same data, noise and prompt dropout) without updating anything or
     * advancing: the whole-step numerics check compares them between a float32 and a float64 run.
     */
    public StepGradients nextStepGradients() {
        GradMode.disableOnThisThread();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            double lossSum = 0;
            for (int micro = 0; micro < options.gradAccumulation(); micro++) {
                lossSum += microBatch(micro);
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : trainable.entrySet()) {
                NDArray g = gradient(e.getValue());
                out.put(e.getKey(), g.toType(DataType.FLOAT32, false).toFloatArray());
            }
            discardGradients(false);
            return new StepGradients(lossSum / options.gradAccumulation(), out);
        }
    }

    /** The state to roll back to on recurring non-finite steps: set it to each checkpoint saved or restored. */
    public void setRollbackPoint(Checkpoint good) {
        rollbackPoint = good;
        rolledBackSinceGood = false;
    }

    /**
     * Empties every gradient for the next step: an autograd gradient is set to none where libtorch allows
     * ({@link LibtorchOps#clearGradient}, torch's own default), zeroed otherwise; mixed precision's float32 buffers are
     * zeroed. Same next step either way: the next backward pass's gradient, added to zeros or taken as is.
     */
    private void discardGradients(boolean allFinite) {
        trainable.values().forEach(p -> discard(p, mixed != null ? mixed.gradient(p) : null, allFinite));
        baseParameters.values().forEach(p -> discard(p, null, allFinite));
    }

    private static void discard(Parameter p, NDArray buffer, boolean allFinite) {
        if (buffer != null) {
            zeroInPlace(buffer, allFinite);
        } else if (!LibtorchOps.clearGradient(p.getArray())) {
            zeroInPlace(p.getArray().getGradient(), allFinite);
        }
    }

    /**
     * Sets a gradient to zero. A finite gradient norm means every gradient is finite, and one multiply does it; after
     * a non-finite step NaN and Inf must go too (0 * NaN stays NaN), so every element is overwritten instead.
     */
    private static void zeroInPlace(NDArray g, boolean allFinite) {
        try (NDArray zero = Scalars.of(g, 0f)) {
            if (allFinite) {
                g.muli(zero);
            } else {
                g.set(new NDIndex("..."), zero);
            }
        }
    }

    /** Steps recomputed because of non-finite values since this trainer started. */
    public int nonFiniteSteps() {
        return nonFiniteTotal;
    }

    /** Training cannot continue: the step stays non-finite however often it is recomputed. */
    public static final class NonFiniteTrainingException extends RuntimeException {
        public NonFiniteTrainingException(String message) {
            super(message);
        }
    }

    private double microBatch(int micro) {
        int b = options.batchSize();
        SplittableRandom rng = new SplittableRandom(mix(seed(), step * 1_000L + micro));
        long index = (long) step * options.gradAccumulation() + micro;
        List<TrainingPair> drawn = data.batch(seed(), index, b); // one size; a bucket's last batch of an epoch may be short
        List<TrainingPair> pairs = new ArrayList<>();
        List<float[]> images = new ArrayList<>();
        List<float[]> conds = new ArrayList<>();
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < drawn.size(); i++) {
            long global = index * b + i;
            TrainingPair pair = augmentation.apply(drawn.get(i), seed(), global);
            pairs.add(pair);
            images.add(pair.image());
            conds.add(pair.condition());
            prompts.add(rng.nextDouble() < options.emptyPromptRate() ? "" : pair.caption());
        }
        Size size = new Size(pairs.get(0).width(), pairs.get(0).height());
        Batch batch = encoded == null ? noisyBatch(images, conds, prompts, size, rng)
                : augmentation.any() ? noisyViewBatch(images, conds, prompts, size, rng) : noisyEncodedBatch(pairs, conds, prompts, size, rng);
        if (mixed != null) {
            mixed.discardCopies(); // none unless an earlier micro-batch failed midway
        }
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            if (textEncoderTrained) { // encoded again where the gradient is recorded (the same values)
                batch = new Batch(batch.noisy(), batch.target(), batch.timesteps(), base.textEncoder().encode(ps, manager, prompts), batch.cond());
            }
            // the target is float32: the subtraction promotes a half-precision prediction, differentiably (DJL's toType is not)
            NDArray loss = predict(batch, batch.cond(), true).sub(batch.target()).square().mean();
            beforeBackward.run();
            gc.backward(Scalars.div(loss, (float) options.gradAccumulation()));
            if (mixed != null) {
                mixed.flushGradients();
            }
            try (NDArray wide = loss.toType(DataType.FLOAT64, false)) { // float32 exactly; float64 under the numerics check
                return wide.getDouble();
            }
        }
    }

    /**
     * Model inputs for one batch: noised latents, the training target (the noise, or the velocity under the base
     * scheduler's v_prediction), timesteps, text and condition.
     */
    private record Batch(NDArray noisy, NDArray target, NDArray timesteps, NDArray text, NDArray cond) {}

    /** A batch's image size in pixels. */
    private record Size(int width, int height) {
        static Size square(List<float[]> images) {
            int side = TrainingPair.squareSide(images.get(0));
            return new Size(side, side);
        }
    }

    /** Noises a batch at uniformly drawn timesteps; all randomness comes from {@code rng}. */
    private Batch noisyBatch(List<float[]> images, List<float[]> conds, List<String> prompts, Size size, SplittableRandom rng) {
        return noise(encodeLatents(images, size), base.textEncoder().encode(ps, manager, prompts), conds, size, rng);
    }

    /** A batch of CHW images of one size through the frozen codec. */
    private NDArray encodeLatents(List<float[]> images, Size size) {
        return base.codec().encode(manager.create(concat(images), new Shape(images.size(), 3, size.height(), size.width()))
                .toType(base.computeType(), false));
    }

    /** The same batch from the pre-computed encodings (bit-identical draws: the noise comes after the encoders). */
    private Batch noisyEncodedBatch(List<TrainingPair> pairs, List<float[]> conds, List<String> prompts, Size size, SplittableRandom rng) {
        int b = pairs.size();
        List<float[]> latents = new ArrayList<>(b);
        List<float[]> texts = new ArrayList<>(b);
        encoded.prepare(pairs, prompts);
        for (int i = 0; i < b; i++) {
            latents.add(encoded.latent(pairs.get(i)));
            texts.add(encoded.text(prompts.get(i)));
        }
        return noise(manager.create(concat(latents), new Shape(b).addAll(new Shape(encoded.latentShape()))),
                manager.create(concat(texts), new Shape(b).addAll(new Shape(encoded.textShape()))), conds, size, rng);
    }

    /** Augmented views: their latents encoded now, their prompts' embeddings from the encodings. */
    private Batch noisyViewBatch(List<float[]> images, List<float[]> conds, List<String> prompts, Size size, SplittableRandom rng) {
        List<float[]> texts = new ArrayList<>(prompts.size());
        encoded.prepare(List.of(), prompts);
        for (String prompt : prompts) {
            texts.add(encoded.text(prompt));
        }
        return noise(encodeLatents(images, size), manager.create(concat(texts), new Shape(prompts.size()).addAll(new Shape(encoded.textShape()))),
                conds, size, rng);
    }

    /** Equally long arrays laid end to end: a batch's inputs in one array. */
    private static float[] concat(List<float[]> parts) {
        int per = parts.get(0).length;
        float[] out = new float[parts.size() * per];
        for (int i = 0; i < parts.size(); i++) {
            System.arraycopy(parts.get(i), 0, out, i * per, per);
        }
        return out;
    }

    private Batch noise(NDArray latents, NDArray text, List<float[]> conds, Size size, SplittableRandom rng) {
        int b = conds.size();
        float[] cs = concat(conds);
        Shape imgShape = new Shape(b, 3, size.height(), size.width());
        float[] noise = new float[(int) latents.getShape().size()];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) rng.nextGaussian();
        }
        float[] t = new float[b];
        float[] sa = new float[b];
        float[] sb = new float[b];
        for (int i = 0; i < b; i++) {
            int ti = rng.nextInt(schedule.steps());
            t[i] = ti;
            sa[i] = (float) Math.sqrt(schedule.alphaCumprod(ti));
            sb[i] = (float) Math.sqrt(1 - schedule.alphaCumprod(ti));
        }
        NDArray eps = manager.create(noise, latents.getShape());
        Shape col = new Shape(b, 1, 1, 1);
        NDArray clean = latents.toType(DataType.FLOAT32, false);
        NDArray noisy = clean.mul(manager.create(sa, col)).add(eps.mul(manager.create(sb, col)));
        // diffusers' get_velocity: v = √ᾱ·ε − √(1−ᾱ)·x0
        NDArray target = velocity ? eps.mul(manager.create(sa, col)).sub(clean.mul(manager.create(sb, col))) : eps;
        // the noising is float32; the model sees its compute type (the same arrays in float32 mode)
        DataType compute = base.computeType();
        return new Batch(noisy.toType(compute, false), target, manager.create(t), text.toType(compute, false),
                manager.create(cs, imgShape).toType(compute, false));
    }

    /** The model's output (noise or velocity); the ControlNet (if any) sees {@code cond}; a null {@code cond} asks the base UNet alone. */
    private NDArray predict(Batch batch, NDArray cond, boolean training) {
        NDList unetIn = new NDList(batch.noisy(), batch.timesteps(), batch.text());
        if (controlnet != null && cond != null) {
            unetIn.addAll(controlnet.forward(ps, new NDList(batch.noisy(), batch.timesteps(), batch.text(), cond), training, null));
        }
        return base.unet().forward(ps, unetIn, training && (controlnet == null || baseOptimizer != null), null).singletonOrThrow();
    }

    /**
     * The paper's signal that the ControlNet has started to use its condition: on a fixed held-out
     * batch with fixed noise and timesteps (from {@code seed}), the loss with an empty (black)
     * condition minus the loss with the true condition. Near zero at initialisation (zero convs).
     */
    public double conditionGain(List<float[]> images, List<float[]> conditions, List<String> captions, long seed) {
        return conditionGain(images, conditions, captions, Size.square(images), seed);
    }

    /**
     * {@link #conditionGain} over a set of samples in several sizes (aspect buckets): each size's samples are one batch,
     * and the gains are averaged weighted by the samples of each. A set of one size is one batch, as above.
     */
    public double conditionGain(TrainingSet set, long seed) {
        List<TrainingSet> groups = set.bySize();
        if (groups.size() == 1) {
            return conditionGain(set.images(), set.conditions(), set.captions(), new Size(set.width(0), set.height(0)), seed);
        }
        double sum = 0;
        for (TrainingSet group : groups) {
            sum += group.size() * conditionGain(group.images(), group.conditions(), group.captions(),
                    new Size(group.width(0), group.height(0)), seed);
        }
        return sum / set.size();
    }

    private double conditionGain(List<float[]> images, List<float[]> conditions, List<String> captions, Size size, long seed) {
        if (controlnet == null) {
            throw new IllegalStateException("condition gain needs a ControlNet");
        }
        GradMode.disableOnThisThread();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Batch batch = noisyBatch(images, conditions, captions, size, new SplittableRandom(seed));
            NDArray empty = batch.cond().zerosLike();
            double withCondition = predict(batch, batch.cond(), false).sub(batch.target()).square().mean().getFloat();
            double withoutCondition = predict(batch, empty, false).sub(batch.target()).square().mean().getFloat();
            return withoutCondition - withCondition;
        }
    }

    /**
     * How far the wrapped model is from its base: on a fixed held-out batch with fixed noise and timesteps (from
     * {@code seed}), the largest and the root-mean-square difference between the UNet's output (the noise, or the
     * velocity under v_prediction) with the ControlNet's residuals and without them. Exactly 0 before training with zero
     * convolutions: the paper's argument that they protect the base model at the start.
     */
    public Deviation baseDeviation(List<float[]> images, List<float[]> conditions, List<String> captions, long seed) {
        return baseDeviation(images, conditions, captions, Size.square(images), seed);
    }

    /** {@link #baseDeviation} over a set in several sizes: the largest difference of all, the rms over all outputs. */
    public Deviation baseDeviation(TrainingSet set, long seed) {
        List<TrainingSet> groups = set.bySize();
        if (groups.size() == 1) {
            return baseDeviation(set.images(), set.conditions(), set.captions(), new Size(set.width(0), set.height(0)), seed);
        }
        double max = 0, squares = 0;
        long pixels = 0;
        for (TrainingSet g : groups) {
            Deviation d = baseDeviation(g.images(), g.conditions(), g.captions(), new Size(g.width(0), g.height(0)), seed);
            long groupPixels = (long) g.size() * g.width(0) * g.height(0); // outputs per group scale with its pixels
            max = Math.max(max, d.maxAbs());
            squares += d.rms() * d.rms() * groupPixels;
            pixels += groupPixels;
        }
        return new Deviation(max, Math.sqrt(squares / pixels));
    }

    private Deviation baseDeviation(List<float[]> images, List<float[]> conditions, List<String> captions, Size size, long seed) {
        if (controlnet == null) {
            throw new IllegalStateException("the deviation from the base needs a ControlNet");
        }
        GradMode.disableOnThisThread();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Batch batch = noisyBatch(images, conditions, captions, size, new SplittableRandom(seed));
            NDArray wrapped = predict(batch, batch.cond(), false);
            NDArray alone = predict(batch, null, false);
            NDArray diff = wrapped.sub(alone).toType(DataType.FLOAT32, false);
            return new Deviation(diff.abs().max().getFloat(), Math.sqrt(diff.square().mean().getFloat()));
        }
    }

    /** {@link #baseDeviation}: the largest and the root-mean-square difference of the model's output. */
    public record Deviation(double maxAbs, double rms) {}

    private double clipGradients() {
        return clipByGlobalNorm(new ArrayList<>(gradients().values()), options.maxGradNorm());
    }

    /**
     * Every gradient a step applies, by name: the trained block's, then in large-scale mode the base UNet's (named
     * "base unet.<name>": the ControlNet's encoder copy shares the UNet's names).
     */
    private Map<String, NDArray> gradients() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        trainable.forEach((name, p) -> out.put(name, gradient(p)));
        baseParameters.forEach((name, p) -> out.put("base unet." + name, p.getArray().getGradient()));
        return out;
    }

    /**
     * Scales {@code grads} in place so their global L2 norm is at most {@code maxNorm} (none when it is 0),
     * as torch's clip_grad_norm_: the norm of the per-tensor norms, coefficient maxNorm / (norm + 1e-6).
     * Returns the norm before scaling; NaN or infinite when a gradient is, and then nothing is scaled.
     */
    public static double clipByGlobalNorm(List<NDArray> grads, double maxNorm) {
        if (grads.isEmpty()) {
            return 0;
        }
        // one pass per gradient (no gradient-sized temporary) and one read of the result: on a GPU a read per gradient
        // would wait for the device hundreds of times a step
        NDList norms = new NDList(grads.size());
        for (NDArray g : grads) {
            try (NDArray flat = g.flatten()) {
                norms.add(flat.norm().toType(DataType.FLOAT32, false));
            }
        }
        double norm;
        try (NDArray stacked = NDArrays.stack(norms); NDArray total = stacked.norm()) {
            norm = total.getFloat();
        } finally {
            norms.close();
        }
        double coef = maxNorm / (norm + 1e-6);
        if (maxNorm > 0 && coef < 1) {
            for (NDArray g : grads) {
                Scalars.muli(g, (float) coef);
            }
        }
        return norm;
    }

    /** A trained weight's gradient: its own, or its float32 buffer under mixed precision. */
    private NDArray gradient(Parameter p) {
        return mixed != null ? mixed.gradient(p) : p.getArray().getGradient();
    }

    /** The run's seed; after a rollback a different one, so the steps after it see other data and noise. */
    private long seed() {
        return rollbacks == 0 ? options.seed() : mix(options.seed(), 0x0011BAC4L + rollbacks);
    }

    static long mix(long seed, long salt) {
        long z = seed * 0x9E3779B97F4A7C15L + salt;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Everything needed to continue bit-for-bit: the trained block's weights, optimizer moments, the step and
     * how many rollbacks re-drew the randomness so far; in large-scale mode past the unlock, the base UNet's
     * weights and moments too (null before).
     */
    public record Checkpoint(int step, Map<String, Tensor> weights, Map<String, Tensor> optimizerState, int rollbacks,
                             Map<String, Tensor> baseWeights, Map<String, Tensor> baseOptimizerState) {
        public Checkpoint(int step, Map<String, Tensor> weights, Map<String, Tensor> optimizerState, int rollbacks) {
            this(step, weights, optimizerState, rollbacks, null, null);
        }

        public Checkpoint(int step, Map<String, Tensor> weights, Map<String, Tensor> optimizerState) {
            this(step, weights, optimizerState, 0);
        }
    }

    public Checkpoint checkpoint() {
        return new Checkpoint(step, Weights.export(trained()), optimizer.state(), rollbacks,
                baseOptimizer == null ? null : Weights.export(base.unet()), baseOptimizer == null ? null : baseOptimizer.state());
    }

    public void restore(Checkpoint c) {
        if (c.baseWeights() != null) {
            if (unlockBaseAt < 0) {
                throw new IllegalArgumentException("checkpoint at step " + c.step() + " has trained base weights (large-scale mode) "
                        + "but this trainer keeps the base frozen");
            }
            if (baseOptimizer == null) {
                unlockBase(); // snapshots the frozen base first, in case of a later rollback before the unlock
            }
            Weights.load(base.unet(), c.baseWeights());
            baseOptimizer.restore(c.baseOptimizerState(), c.step() - unlockBaseAt);
        } else if (baseOptimizer != null) {
            relockBase();
        }
        Weights.load(trained(), c.weights());
        optimizer.restore(c.optimizerState(), c.step());
        step = c.step();
        rollbacks = c.rollbacks(); // the data order's seed: the next batch is drawn from it
    }
}
