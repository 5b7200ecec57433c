package dev.cnf.model.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.nn.GradMode;
import dev.cnf.model.schedulers.DdimScheduler;
import dev.cnf.model.BaseModel;
import dev.cnf.model.nn.Scalars;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Text + condition → image: DDIM with classifier-free guidance, the unconditional ("") and
 * conditional passes batched together, the condition fed to the ControlNet in both (as diffusers'
 * StableDiffusionControlNetPipeline does outside guess mode). With several ControlNets, each gets its own condition
 * and scale and their residuals are summed, as diffusers' MultiControlNetModel does.
 */
public final class ControlNetSampler {
    public record Settings(int steps, float guidanceScale, float controlScale, long seed) {
        public static Settings defaults(long seed) {
            return new Settings(20, 9.0f, 1.0f, seed);
        }
    }

    /**
     * One ControlNet of a multi-ControlNet sampling and what it sees.
     *
     * @param conditions CHW float arrays in [0, 1] at the config's sample size, one per prompt
     * @param scale      its residuals' weight (diffusers' controlnet_conditioning_scale)
     */
    public record Control(ControlNet net, List<float[]> conditions, float scale) {}

    private final BaseModel base;
    private final ControlNet controlnet;

    /** @param controlnet null samples the base model alone (text-to-image) */
    public ControlNetSampler(BaseModel base, ControlNet controlnet) {
        this.base = base;
        this.controlnet = controlnet;
    }

    /**
     * @param conditions CHW float arrays in [0, 1] at the config's sample size
     * @return images CHW in [-1, 1], one per prompt
     */
    public List<float[]> sample(NDManager manager, List<String> prompts, List<float[]> conditions, Settings s) {
        return sampleControlled(manager, prompts, controlnet == null ? List.of() : List.of(new Control(controlnet, conditions, s.controlScale())), s);
    }

    /**
     * As above at {@code width x height} (an aspect bucket's size, a multiple of the model's size multiple) instead of the
     * config's square sample size.
     */
    public List<float[]> sample(NDManager manager, List<String> prompts, List<float[]> conditions, int width, int height, Settings s) {
        return sampleControlled(manager, prompts, controlnet == null ? List.of() : List.of(new Control(controlnet, conditions, s.controlScale())),
                s, null, width, height);
    }

    /**
     * Several ControlNets at once (their residuals summed; {@code s.controlScale()} is not used, each has its own).
     *
     * @return images CHW in [-1, 1], one per prompt
     */
    public List<float[]> sampleControlled(NDManager manager, List<String> prompts, List<Control> controls, Settings s) {
        return sampleControlled(manager, prompts, controls, s, null);
    }

    /**
     * As above, from given initial latents (diffusers' {@code latents=} argument), so a run can be reproduced elsewhere.
     *
     * @param initialLatents [prompts, latent channels, latent size, latent size] flattened; null draws them from the seed
     */
    public List<float[]> sampleControlled(NDManager manager, List<String> prompts, List<Control> controls, Settings s,
                                          float[] initialLatents) {
        return sampleControlled(manager, prompts, controls, s, initialLatents, base.sampleSize(), base.sampleSize());
    }

    private List<float[]> sampleControlled(NDManager manager, List<String> prompts, List<Control> controls, Settings s,
                                           float[] initialLatents, int width, int height) {
        GradMode.disableOnThisThread();
        int n = prompts.size();
        int lc = base.latentChannels();
        int factor = base.codec().downsampling();
        if (width % factor != 0 || height % factor != 0) {
            throw new IllegalArgumentException(width + "x" + height + " is not a multiple of the codec's " + factor + "x");
        }
        int lw = width / factor, lh = height / factor;
        ParameterStore ps = new ParameterStore(manager, false);
        DdimScheduler ddim = new DdimScheduler(base.scheduler(), s.steps());
        float[] init = initialLatents;
        if (init == null) {
            SplittableRandom rng = new SplittableRandom(s.seed());
            init = new float[n * lc * lh * lw];
            for (int i = 0; i < init.length; i++) {
                init[i] = (float) rng.nextGaussian();
            }
        } else if (init.length != n * lc * lh * lw) {
            throw new IllegalArgumentException("initial latents hold " + init.length + " values; " + n + " prompts need "
                    + n * lc * lh * lw + " (" + n + " x " + lc + " x " + lh + " x " + lw + ")");
        }
        try (NDManager local = manager.newSubManager()) {
            NDArray latents = local.create(init, new Shape(n, lc, lh, lw));
            DataType compute = base.computeType(); // the scheduler's arithmetic stays float32; the networks see their type
            List<NDArray> condPairs = new ArrayList<>();
            for (Control c : controls) {
                NDArray condArr = local.create(batch(c.conditions(), n, 3 * width * height), new Shape(n, 3, height, width)).toType(compute, false);
                condPairs.add(condArr.concat(condArr, 0));
            }
            List<String> both = new ArrayList<>(Collections.nCopies(n, ""));
            both.addAll(prompts);
            NDArray text = base.textEncoder().encode(ps, local, both);
            for (int t : ddim.timesteps()) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray x = latents.concat(latents, 0).toType(compute, false);
                    NDArray ts = local.full(new Shape(2L * n), (float) t);
                    NDList in = new NDList(x, ts, text);
                    NDList residuals = null;
                    for (int k = 0; k < controls.size(); k++) {
                        Control c = controls.get(k);
                        NDList r = c.net().residuals(ps, new NDList(x, ts, text, condPairs.get(k)), c.scale(), false);
                        residuals = residuals == null ? r : sum(residuals, r);
                    }
                    if (residuals != null) {
                        in.addAll(residuals);
                    }
                    NDArray eps = base.unet().forward(ps, in, false, null).singletonOrThrow().toType(DataType.FLOAT32, false);
                    NDArray uncond = eps.get("0:" + n);
                    NDArray condEps = eps.get(n + ":");
                    NDArray guided = uncond.add(Scalars.mul(condEps.sub(uncond), s.guidanceScale()));
                    NDArray next = ddim.step(guided, t, latents);
                    NDScope.unregister(next);
                    latents = next;
                }
            }
            NDArray images = Scalars.clip(base.codec().decode(latents.toType(compute, false)).toType(DataType.FLOAT32, false), -1f, 1f);
            float[] flat = images.toFloatArray();
            List<float[]> out = new ArrayList<>();
            int per = 3 * width * height;
            for (int i = 0; i < n; i++) {
                float[] one = new float[per];
                System.arraycopy(flat, i * per, one, 0, per);
                out.add(one);
            }
            return out;
        }
    }

    private static float[] batch(List<float[]> perPrompt, int n, int per) {
        if (perPrompt.size() != n) {
            throw new IllegalArgumentException(perPrompt.size() + " condition images for " + n + " prompts; give one per prompt");
        }
        float[] out = new float[n * per];
        for (int i = 0; i < n; i++) {
            if (perPrompt.get(i).length != per) {
                throw new IllegalArgumentException("condition " + i + " has " + perPrompt.get(i).length + " values, the model needs " + per);
            }
            System.arraycopy(perPrompt.get(i), 0, out, i * per, per);
        }
        return out;
    }

    private static NDList sum(NDList a, NDList b) {
        NDList out = new NDList(a.size());
        for (int i = 0; i < a.size(); i++) {
            out.add(a.get(i).add(b.get(i)));
        }
        return out;
    }
}
