package dev.cnf.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.cnf.model.nn.TorchOwned;
import dev.cnf.model.nn.GroupNorm;
import dev.cnf.model.schedulers.DdimScheduler;
import dev.cnf.model.schedulers.NoiseSchedule;
import dev.cnf.model.schedulers.SchedulerConfig;
import dev.cnf.model.train.AdamW;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.vae.SpaceToDepthCodec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Hand-computed references for the pieces DJL lacks and we wrote ourselves. */
class NnSemanticsTest extends PyTorchTest {
    @Test
    void groupNormUsesBiasedVariancePerGroup() {
        GroupNorm gn = new GroupNorm(2, 4, 1e-5);
        gn.initializeParameters(manager, 0);
        // channels 0,1 form group 0: values 1..4 → mean 2.5, biased var 1.25
        NDArray x = manager.create(new float[] {1, 2, 3, 4, 10, 10, 10, 10}, new Shape(1, 4, 1, 2));
        float[] y = gn.apply(new ParameterStore(manager, false), x, false).toFloatArray();
        double sd = Math.sqrt(1.25 + 1e-5);
        assertEquals((1 - 2.5) / sd, y[0], 1e-5);
        assertEquals((4 - 2.5) / sd, y[3], 1e-5);
        assertEquals(0f, y[5], 1e-6, "constant group normalises to zero");
    }

    @Test
    void adamWMatchesTorchFirstStep() {
        // torch.optim.AdamW(lr=0.1, weight_decay=0.01), p=1, grad=0.5, one step:
        // p*=(1-0.1*0.01) → 0.999; m=0.05, v=0.00025, bc1=0.1, bc2=0.001
        // denom = sqrt(0.00025)/sqrt(0.001) + 1e-8 = 0.5; p -= (0.1/0.1) * 0.05/0.5 → 0.899
        Parameter p = Parameter.builder().setName("p").setType(Parameter.Type.OTHER).optArray(manager.create(new float[] {1f})).build();
        p.getArray().setRequiresGradient(true);
        NDArray loss;
        try (var gc = manager.getEngine().newGradientCollector()) {
            loss = p.getArray().mul(0.5f).sum();
            gc.backward(loss);
        }
        AdamW opt = AdamW.withTorchDefaults(Map.of("p", p), manager, 0.01);
        opt.step(0.1);
        assertEquals(0.899f, p.getArray().getFloat(0), 1e-6);
    }

    /**
     * Five steps against torch.optim.AdamW(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01) in float32, values
     * printed by model/src/test/python/make_adamw_reference.py (PyTorch 1.13): gradients that change sign and size,
     * so beta1, beta2 and both bias corrections all move the result (one step only sees lr·sign(g)).
     */
    @Test
    void adamWMatchesTorchOverSeveralSteps() {
        float[][] torch = {
                {0.989899993f, -0.489950001f, 0.239975005f, 1.98979998f, 0.00999999978f},
                {0.979800999f, -0.480249196f, 0.231107235f, 1.98027921f, 0.0199989993f},
                {0.969703019f, -0.470621139f, 0.222429872f, 1.9713496f, 0.0299969986f},
                {0.959606051f, -0.460969985f, 0.213736638f, 1.96293998f, 0.0399939977f},
                {0.949510098f, -0.451251507f, 0.204950497f, 1.9549948f, 0.0499899983f},
        };
        try (NDManager m = manager.newSubManager()) {
            Parameter p = Parameter.builder().setName("p").setType(Parameter.Type.OTHER)
                    .optArray(m.create(new float[] {1.0f, -0.5f, 0.25f, 2.0f, 0.0f})).build();
            p.getArray().setRequiresGradient(true);
            AdamW opt = AdamW.withTorchDefaults(Map.of("p", p), m, 0.01);
            for (int t = 1; t <= 5; t++) {
                float[] g = {0.5f, (float) (-0.1 * t), (float) (0.02 * t * t), (float) (3.0 / t), -2.0f};
                try (var gc = m.getEngine().newGradientCollector()) {
                    gc.backward(p.getArray().mul(m.create(g)).sum()); // d/dp sum(p·g) = g
                }
                opt.step(0.01);
                assertArrayEquals(torch[t - 1], p.getArray().toFloatArray(), 1e-6f, "after step " + t);
                TorchOwned.copyInto(p.getArray().getGradient(), new float[5]); // torch's zero_grad before the next backward
            }
        }
    }

    @Test
    void gradientClippingUsesTheGlobalNormAsTorchDoes() {
        // norms 5 ([3, 4]) and 12 ([[12]]): global 13; max 1.3 scales every gradient by 1.3 / (13 + 1e-6)
        NDArray a = manager.create(new float[] {3, 4});
        NDArray b = manager.create(new float[] {12}, new Shape(1, 1));
        assertEquals(13.0, DiffusionTrainer.clipByGlobalNorm(List.of(a, b), 1.3), 1e-5);
        assertArrayEquals(new float[] {0.3f, 0.4f}, a.toFloatArray(), 1e-6f);
        assertEquals(1.2f, b.getFloat(0, 0), 1e-6f);
        assertEquals(1.3, DiffusionTrainer.clipByGlobalNorm(List.of(a, b), 2.0), 1e-5, "under the limit: unchanged");
        assertEquals(0.3f, a.getFloat(0), 1e-6f);
        NDArray bad = manager.create(new float[] {Float.NaN, 1});
        assertTrue(Double.isNaN(DiffusionTrainer.clipByGlobalNorm(List.of(a, bad), 1.0)), "a NaN gradient makes the norm NaN");
        assertEquals(0.3f, a.getFloat(0), 1e-6f, "and nothing is scaled");
    }

    @Test
    void sd15ScheduleAndDdimTimesteps() {
        NoiseSchedule s = NoiseSchedule.sd15();
        assertEquals(1 - 0.00085, s.alphaCumprod(0), 1e-12);
        assertEquals(0.0047, s.alphaCumprod(999), 1e-4); // diffusers' SD1.5 alphas_cumprod[-1] ≈ 0.00466
        int[] ts = new DdimScheduler(SchedulerConfig.sd15(), 20).timesteps();
        assertEquals(951, ts[0]);
        assertEquals(1, ts[19]);
    }

    /**
     * DDIM timesteps for each spacing against diffusers' formulas run in numpy (T = 1000):
     * trailing np.round(np.arange(T, 0, -T / n)) - 1, linspace np.linspace(0, T - 1, n).round()[::-1],
     * leading (np.arange(n) * (T // n)).round()[::-1] + steps_offset; numpy rounds half to even (n = 16).
     */
    @Test
    void ddimTimestepsFollowTheConfigsSpacing() {
        assertArrayEquals(new int[] {999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249, 187, 124, 61},
                new DdimScheduler(spacing("trailing", 0), 16).timesteps());
        assertArrayEquals(new int[] {999, 932, 866, 799, 733, 666, 599, 533, 466, 400, 333, 266, 200, 133, 67, 0},
                new DdimScheduler(spacing("linspace", 0), 16).timesteps());
        assertArrayEquals(new int[] {931, 869, 807, 745, 683, 621, 559, 497, 435, 373, 311, 249, 187, 125, 63, 1},
                new DdimScheduler(spacing("leading", 1), 16).timesteps());
        assertArrayEquals(new int[] {999, 666, 332}, new DdimScheduler(spacing("trailing", 0), 3).timesteps());
        assertArrayEquals(new int[] {999, 500, 0}, new DdimScheduler(spacing("linspace", 0), 3).timesteps());
        // beta_schedule "linear" (diffusers' default): np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))[-1] = 4.0358e-05
        SchedulerConfig linear = SchedulerConfig.fromJson("{\"beta_schedule\": \"linear\"}");
        assertEquals(0.9999, linear.noiseSchedule().alphaCumprod(0), 1e-12);
        assertEquals(4.035829765375676e-05, linear.noiseSchedule().alphaCumprod(999), 1e-12);
    }

    private static SchedulerConfig spacing(String spacing, int offset) {
        SchedulerConfig sd = SchedulerConfig.sd15();
        return new SchedulerConfig(sd.numTrainTimesteps(), sd.betaStart(), sd.betaEnd(), sd.betaSchedule(), sd.predictionType(),
                spacing, offset, sd.setAlphaToOne(), false);
    }

    @Test
    void schedulerSettingsCnfDoesNotImplementAreRefusedByName() {
        String sd15 = """
                {"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
                 "num_train_timesteps": 1000, "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1,
                 "trained_betas": null, "clip_sample": false}""";
        assertEquals(SchedulerConfig.sd15(), SchedulerConfig.fromJson(sd15), "SD1.5's own file gives SD1.5's schedule");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.fromJson(
                "{\"rescale_betas_zero_snr\": true, \"beta_schedule\": \"squaredcos_cap_v2\", \"timestep_spacing\": \"karras\"}"));
        for (String named : new String[] {"rescale_betas_zero_snr needs prediction_type v_prediction", "beta_schedule 'squaredcos_cap_v2'",
                "timestep_spacing 'karras'"}) {
            assertTrue(e.getMessage().contains(named), e.getMessage());
        }
        IllegalArgumentException flags = assertThrows(IllegalArgumentException.class,
                () -> SchedulerConfig.fromJson("{\"clip_sample\": true, \"thresholding\": true, \"prediction_type\": \"sample\"}"));
        for (String named : new String[] {"clip_sample", "thresholding", "prediction_type 'sample'"}) {
            assertTrue(flags.getMessage().contains(named), "every problem in one error: " + flags.getMessage());
        }
    }

    /**
     * v-prediction against ε-prediction on the same step: the velocity v = √ᾱ·ε − √(1−ᾱ)·x0 of the noise an ε model
     * predicts must give diffusers' DDIM the same x0 and previous sample; the zero-terminal-SNR schedule keeps ᾱ_0 and
     * ends at exactly 0 (diffusers' own numbers: DiffusersParityTest's "other" set).
     */
    @Test
    void velocityPredictionStepsAsTheNoiseItStandsFor() {
        SchedulerConfig eps = SchedulerConfig.fromJson("{\"beta_schedule\": \"linear\", \"timestep_spacing\": \"trailing\"}");
        SchedulerConfig v = SchedulerConfig.fromJson("{\"beta_schedule\": \"linear\", \"timestep_spacing\": \"trailing\", "
                + "\"prediction_type\": \"v_prediction\"}");
        int t = 499;
        double alpha = eps.noiseSchedule().alphaCumprod(t);
        NDArray x = manager.randomNormal(new Shape(2, 4, 8, 8));
        NDArray noise = manager.randomNormal(new Shape(2, 4, 8, 8));
        NDArray x0 = x.sub(noise.mul((float) Math.sqrt(1 - alpha))).div((float) Math.sqrt(alpha));
        NDArray velocity = noise.mul((float) Math.sqrt(alpha)).sub(x0.mul((float) Math.sqrt(1 - alpha)));
        DdimScheduler.Step fromEps = new DdimScheduler(eps, 10).stepWithPrediction(noise, t, x);
        DdimScheduler.Step fromV = new DdimScheduler(v, 10).stepWithPrediction(velocity, t, x);
        assertArrayEquals(fromEps.predOriginalSample().toFloatArray(), fromV.predOriginalSample().toFloatArray(), 1e-4f);
        assertArrayEquals(fromEps.prevSample().toFloatArray(), fromV.prevSample().toFloatArray(), 1e-4f);

        NoiseSchedule zeroSnr = SchedulerConfig.fromJson("{\"prediction_type\": \"v_prediction\", \"rescale_betas_zero_snr\": true}")
                .noiseSchedule();
        assertEquals(eps.noiseSchedule().alphaCumprod(0), zeroSnr.alphaCumprod(0), 1e-12);
        assertEquals(0.0, zeroSnr.alphaCumprod(999), 0.0);
        assertTrue(zeroSnr.alphaCumprod(998) > 0);
    }

    @Test
    void spaceToDepthIsLossless() {
        SpaceToDepthCodec codec = new SpaceToDepthCodec(2, 0);
        NDArray x = manager.randomNormal(new Shape(2, 3, 8, 8));
        NDArray z = codec.encode(x);
        assertEquals(new Shape(2, 12, 4, 4), z.getShape());
        assertArrayEquals(x.toFloatArray(), codec.decode(z).toFloatArray(), 0f);
    }

    /** One 2x2 cell worked by hand: pixels 1 0 / 0 0 have mean, horizontal, vertical and diagonal detail all 0.25. */
    @Test
    void spaceToDepthDecodingShrinksEachCellsDetailByTheThreshold() {
        SpaceToDepthCodec codec = new SpaceToDepthCodec(2, 0.05);
        NDArray cell = manager.create(new float[] {1, 0, 0, 0}, new Shape(1, 1, 2, 2));
        // each detail 0.25 -> 0.2: a = 0.25 + 3 * 0.2, b = d = 0.25 - 0.2, e = 0.25 - 0.2 - 0.2 + 0.2
        assertArrayEquals(new float[] {0.85f, 0.05f, 0.05f, 0.05f}, codec.decode(codec.encode(cell)).toFloatArray(), 1e-6f);
        // a checkerboard fainter than the threshold is removed entirely, and a flat image is left as it is
        NDArray faint = manager.create(new float[] {0.54f, 0.5f, 0.46f, 0.5f}, new Shape(1, 1, 2, 2));
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, codec.decode(codec.encode(faint)).toFloatArray(), 1e-6f);
        NDArray flat = manager.full(new Shape(1, 3, 4, 4), -0.3f);
        assertArrayEquals(flat.toFloatArray(), codec.decode(codec.encode(flat)).toFloatArray(), 0f);
    }

    /** Against a scalar restatement on random pixels: cell means kept exactly, each detail moved by min(|detail|, t). */
    @Test
    void spaceToDepthDecodingIsSoftThresholdingOfHaarDetails() {
        float t = 0.1f;
        SpaceToDepthCodec codec = new SpaceToDepthCodec(2, t);
        int size = 8;
        NDArray x = manager.randomNormal(0, 0.2f, new Shape(2, 3, size, size), DataType.FLOAT32);
        float[] in = x.toFloatArray(), out = codec.decode(codec.encode(x)).toFloatArray();
        int shrunk = 0;
        for (int plane = 0; plane < 2 * 3; plane++) {
            for (int y = 0; y < size; y += 2) {
                for (int col = 0; col < size; col += 2) {
                    int i = plane * size * size + y * size + col;
                    double[] before = haar(in[i], in[i + 1], in[i + size], in[i + size + 1]);
                    double[] after = haar(out[i], out[i + 1], out[i + size], out[i + size + 1]);
                    assertEquals(before[0], after[0], 1e-6, "cell mean");
                    for (int k = 1; k < 4; k++) {
                        double expected = Math.signum(before[k]) * Math.max(Math.abs(before[k]) - t, 0);
                        assertEquals(expected, after[k], 1e-6, "detail " + k + " of cell " + i);
                        shrunk += Math.abs(before[k]) > t ? 1 : 0;
                    }
                }
            }
        }
        assertTrue(shrunk > 10 && shrunk < 6 * 16 * 3 - 10, "both regimes exercised: " + shrunk + " details above the threshold");
    }

    private static double[] haar(double a, double b, double d, double e) {
        return new double[] {(a + b + d + e) / 4, (a - b + d - e) / 4, (a + b - d - e) / 4, (a - b - d + e) / 4};
    }
}
