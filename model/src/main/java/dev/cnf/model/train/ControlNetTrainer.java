package dev.cnf.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.nn.GradMode;
import dev.cnf.model.schedulers.NoiseSchedule;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a ControlNet against a frozen base with the epsilon-MSE objective at uniformly sampled
 * timesteps, random prompt dropout, gradient accumulation, global-norm clipping and AdamW.
 *
 * <p>All randomness of step {@code s} is drawn from a generator seeded by (seed, s) and the data
 * order from (seed, epoch), so a run restored from a checkpoint continues exactly as if it had
 * never stopped.
 */
public final class ControlNetTrainer {
    /** Hyper-parameters; {@code emptyPromptRate} is the paper's 50% prompt dropout. */
    public record Options(int batchSize, int gradAccumulation, double learningRate, double weightDecay,
                          double maxGradNorm, double emptyPromptRate, long seed) {
        public Options {
            if (batchSize < 1 || gradAccumulation < 1) {
                throw new IllegalArgumentException("batchSize and gradAccumulation must be >= 1");
            }
        }
    }

    /** @param retries how often this step was recomputed after non-finite values */
    public record StepStats(int step, double loss, double gradNorm, int retries) {}

    private final BaseModel base;
    private final ControlNet controlnet;
    private final TrainingSet data;
    private final Options options;
    private final NDManager manager;
    private final NoiseSchedule schedule = NoiseSchedule.sd15();
    private final ParameterStore ps;
    private final Map<String, Parameter> trainable;
    private final AdamW optimizer;
    private int step;
    private int nonFiniteTotal;
    static final int MAX_NON_FINITE_TRIES = 3;
    private static final Logger LOG = LoggerFactory.getLogger(ControlNetTrainer.class);

    public ControlNetTrainer(BaseModel base, ControlNet controlnet, TrainingSet data, Options options, NDManager manager) {
        this.base = base;
        this.controlnet = controlnet;
        this.data = data;
        this.options = options;
        this.manager = manager;
        this.ps = new ParameterStore(manager, false);
        this.trainable = controlnet.namedParameters();
        this.optimizer = AdamW.withTorchDefaults(trainable, manager, options.weightDecay());
    }

    public int step() {
        return step;
    }

    public ControlNet controlnet() {
        return controlnet;
    }

    /**
     * One optimizer step over {@code gradAccumulation} micro-batches. If the loss or the gradient
     * norm is not finite, the gradients are discarded and the same step (same data, noise and
     * timesteps) is computed again, up to {@link #MAX_NON_FINITE_TRIES} times; then it fails.
     */
    public StepStats trainStep() {
        GradMode.disableOnThisThread();
        for (int attempt = 1; ; attempt++) {
            double lossSum = 0;
            double gradNorm;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                for (int micro = 0; micro < options.gradAccumulation(); micro++) {
                    lossSum += microBatch(micro);
                }
                gradNorm = clipGradients();
                boolean finite = Double.isFinite(lossSum) && Double.isFinite(gradNorm);
                if (finite) {
                    optimizer.step(options.learningRate());
                }
                for (Parameter p : trainable.values()) {
                    zeroInPlace(p.getArray().getGradient());
                }
                if (finite) {
                    step++;
                    return new StepStats(step, lossSum / options.gradAccumulation(), gradNorm, attempt - 1);
                }
            }
            nonFiniteTotal++;
            LOG.warn("step {}: non-finite loss {} or gradient norm {} (try {} of {}); gradients discarded, step recomputed",
                    step + 1, lossSum, gradNorm, attempt, MAX_NON_FINITE_TRIES);
            if (attempt >= MAX_NON_FINITE_TRIES) {
                throw new NonFiniteTrainingException("step " + (step + 1) + ": loss or gradients non-finite " + attempt
                        + " times in a row; lower the learning rate or restore an earlier checkpoint");
            }
        }
    }

    /** Sets a gradient to exactly zero, NaN and Inf included (g - g would keep NaN). */
    private static void zeroInPlace(NDArray g) {
        g.set(g.isNaN().logicalNot().logicalOr(g.isNaN()), 0);
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
        SplittableRandom rng = new SplittableRandom(mix(options.seed(), step * 1_000L + micro));
        int h = (int) Math.sqrt(data.images().get(0).length / 3.0);
        float[] images = new float[b * 3 * h * h];
        float[] conds = new float[b * 3 * h * h];
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            long global = ((long) step * options.gradAccumulation() + micro) * b + i;
            int idx = sampleIndex(global);
            System.arraycopy(data.images().get(idx), 0, images, i * 3 * h * h, 3 * h * h);
            System.arraycopy(data.conditions().get(idx), 0, conds, i * 3 * h * h, 3 * h * h);
            prompts.add(rng.nextDouble() < options.emptyPromptRate() ? "" : data.captions().get(idx));
        }
        Shape imgShape = new Shape(b, 3, h, h);
        NDArray latents = base.codec().encode(manager.create(images, imgShape));
        long[] ls = latents.getShape().getShape();
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
        NDArray eps = manager.create(noise, new Shape(ls));
        Shape col = new Shape(b, 1, 1, 1);
        NDArray noisy = latents.mul(manager.create(sa, col)).add(eps.mul(manager.create(sb, col)));
        NDArray timesteps = manager.create(t);
        NDArray text = base.textEncoder().encode(ps, manager, prompts);
        NDArray cond = manager.create(conds, imgShape);
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDList residuals = controlnet.forward(ps, new NDList(noisy, timesteps, text, cond), true, null);
            NDList unetIn = new NDList(noisy, timesteps, text);
            unetIn.addAll(residuals);
            NDArray pred = base.unet().forward(ps, unetIn, false, null).singletonOrThrow();
            NDArray loss = pred.sub(eps).square().mean();
            gc.backward(loss.div(options.gradAccumulation()));
            return loss.getFloat();
        }
    }

    /** Scales gradients so their global L2 norm is at most maxGradNorm (torch's clip_grad_norm_). */
    private double clipGradients() {
        double sq = 0;
        List<NDArray> grads = new ArrayList<>();
        for (Parameter p : trainable.values()) {
            NDArray g = p.getArray().getGradient();
            grads.add(g);
            sq += g.square().sum().getFloat();
        }
        double norm = Math.sqrt(sq);
        double coef = options.maxGradNorm() / (norm + 1e-6);
        if (options.maxGradNorm() > 0 && coef < 1) {
            for (NDArray g : grads) {
                g.muli((float) coef);
            }
        }
        return norm;
    }

    private int sampleIndex(long global) {
        int n = data.size();
        long epoch = global / n;
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        SplittableRandom r = new SplittableRandom(mix(options.seed() ^ 0x5eed, epoch));
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        return perm[(int) (global % n)];
    }

    static long mix(long seed, long salt) {
        long z = seed * 0x9E3779B97F4A7C15L + salt;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Everything needed to continue bit-for-bit: ControlNet weights, optimizer moments and the step. */
    public record Checkpoint(int step, Map<String, Tensor> weights, Map<String, Tensor> optimizerState) {}

    public Checkpoint checkpoint() {
        return new Checkpoint(step, Weights.export(controlnet), optimizer.state());
    }

    public void restore(Checkpoint c) {
        Weights.load(controlnet, c.weights());
        optimizer.restore(c.optimizerState(), c.step());
        step = c.step();
    }
}
