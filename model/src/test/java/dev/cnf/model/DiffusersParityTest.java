package dev.cnf.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.model.config.AutoencoderConfig;
import dev.cnf.model.config.ClipTextConfig;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.config.UNetConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.DiffusersFolder;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.schedulers.DdimScheduler;
import dev.cnf.model.schedulers.NoiseSchedule;
import dev.cnf.model.schedulers.SchedulerConfig;
import dev.cnf.model.text.ClipTextModel;
import dev.cnf.model.unet.UNet;
import dev.cnf.model.vae.AutoencoderKL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The model library against diffusers and transformers themselves (torch 2.7.1, the libtorch DJL runs; diffusers
 * 0.35.2, transformers 4.57.6, from the pinned virtualenv requirements/oracles.txt): src/test/python/diffusers_oracle.py
 * builds UNet2DConditionModel, ControlNetModel, AutoencoderKL, CLIPTextModel and the DDIM/DDPM schedulers from configs,
 * with seeded random weights (zero convolutions included), and writes their weights and outputs; the DJL blocks, built
 * from the same config.json files and loaded with the same safetensors, must give every output within 1e-4 (fp32).
 * Two config sets: the tiny-sd preset, and one that differs in every choice the configs allow. For sd15, key names and
 * shapes equal those of the classes diffusers and transformers instantiate (without weights).
 */
class DiffusersParityTest {
    static final float TOLERANCE = 1e-4f;
    static Path out;
    static NDManager manager;

    @BeforeAll
    static void runTheOracle() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        out = Files.createTempDirectory("cnf-diffusers-oracle-");
        Oracles.run("diffusers_oracle.py", out.toString());
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void close() throws IOException {
        if (manager != null) {
            manager.close();
        }
        if (out != null) {
            try (var files = Files.walk(out)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }

    record Set(Path dir, Map<String, Tensor> io) {
        String json(String name) throws IOException {
            return Files.readString(dir.resolve(name));
        }

        NDArray in(NDManager m, String key) {
            Tensor t = io.get(key);
            return m.create(t.data(), new Shape(t.shape()));
        }

        <B extends NamedBlock> B loaded(B block, String weights) throws IOException {
            block.initializeParameters(manager, 0);
            Weights.load(block, Safetensors.read(Files.readAllBytes(dir.resolve("weights").resolve(weights))));
            return block;
        }

        void assertClose(String key, NDArray actual) {
            assertClose(key, actual.toFloatArray(), actual.getShape().getShape());
        }

        void assertClose(String key, float[] actual, long[] shape) {
            Tensor expected = io.get(key);
            assertNotNull(expected, key);
            assertArrayEquals(expected.shape(), shape, key + " shape");
            float worst = 0;
            for (int i = 0; i < actual.length; i++) {
                worst = Math.max(worst, Math.abs(actual[i] - expected.data()[i]));
            }
            System.out.printf("diffusers parity %-8s %-24s max abs diff %.2e%n", dir.getFileName(), key, worst);
            assertTrue(worst <= TOLERANCE, dir.getFileName() + " " + key + ": max |Δ| " + worst + " > " + TOLERANCE);
        }

        /** The UNet alone, the ControlNet's residuals (every one, as many as diffusers gives) and the UNet with them. */
        void checkUNetAndControlNet(NDManager m, UNet unet, ControlNet cn) {
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = in(m, "in.latents");
            NDArray t = in(m, "in.timesteps");
            NDArray ctx = in(m, "in.context");
            assertClose("out.unet", unet.forward(ps, new NDList(x, t, ctx), false, null).singletonOrThrow());
            NDList residuals = cn.residuals(ps, new NDList(x, t, ctx, in(m, "in.hint")), 0.7f, false);
            for (int i = 0; i < residuals.size() - 1; i++) {
                assertClose("out.controlnet." + i, residuals.get(i));
            }
            assertClose("out.controlnet.mid", residuals.get(residuals.size() - 1));
            assertFalse(io.containsKey("out.controlnet." + (residuals.size() - 1)), "as many residuals as diffusers");
            if (io.containsKey("out.unet_controlled")) {
                NDList controlled = new NDList(x, t, ctx);
                controlled.addAll(residuals);
                assertClose("out.unet_controlled", unet.forward(ps, controlled, false, null).singletonOrThrow());
            }
        }

        /** The VAE both ways and the CLIP text encoder's last hidden state. */
        void checkVaeAndTextEncoder(NDManager m, AutoencoderKL vae, ClipTextModel te) {
            ParameterStore ps = new ParameterStore(m, false);
            assertClose("out.vae_latents", vae.encode(ps, in(m, "in.image"), null, false));
            assertClose("out.vae_decoded", vae.decode(ps, in(m, "in.latents"), false));
            NDArray ids = in(m, "in.ids").toType(DataType.INT64, false);
            assertClose("out.text", te.forward(ps, new NDList(ids), false, null).singletonOrThrow());
        }
    }

    static Set set(String name) throws IOException {
        Path dir = out.resolve(name);
        return new Set(dir, Safetensors.read(Files.readAllBytes(dir.resolve("io.safetensors"))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-sd", "other"})
    void unetAndControlNetMatchDiffusers(String name) throws IOException {
        Set s = set(name);
        try (NDManager m = manager.newSubManager()) {
            UNet unet = s.loaded(new UNet(UNetConfig.fromJson(s.json("unet_config.json"))), "unet.safetensors");
            ControlNet cn = s.loaded(new ControlNet(ControlNetConfig.fromJson(s.json("controlnet_config.json"))), "controlnet.safetensors");
            s.checkUNetAndControlNet(m, unet, cn);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-sd", "other"})
    void vaeAndTextEncoderMatchDiffusersAndTransformers(String name) throws IOException {
        Set s = set(name);
        try (NDManager m = manager.newSubManager()) {
            AutoencoderKL vae = s.loaded(new AutoencoderKL(AutoencoderConfig.fromJson(s.json("vae_config.json"))), "vae.safetensors");
            ClipTextModel te = s.loaded(new ClipTextModel(ClipTextConfig.fromJson(s.json("text_encoder_config.json"))), "text_encoder.safetensors");
            s.checkVaeAndTextEncoder(m, vae, te);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-sd", "other"})
    void schedulersMatchDiffusers(String name) throws IOException {
        Set s = set(name);
        JsonNode scheduler = new ObjectMapper().readTree(s.json("scheduler_config.json"));
        SchedulerConfig config = SchedulerConfig.fromJson(scheduler.toString());
        int steps = s.io().get("out.ddim_timesteps").data().length;
        DdimScheduler ddim = new DdimScheduler(config, steps);
        float[] timesteps = new float[steps];
        for (int i = 0; i < steps; i++) {
            timesteps[i] = ddim.timesteps()[i];
        }
        assertArrayEquals(s.io().get("out.ddim_timesteps").data(), timesteps, 0f, "DDIM timesteps");
        try (NDManager m = manager.newSubManager()) {
            int t = (int) s.io().get("in.ddim_t").data()[0];
            NDArray eps = m.create(s.io().get("out.unet").data(), new Shape(s.io().get("out.unet").shape()));
            DdimScheduler.Step step = ddim.stepWithPrediction(eps, t, s.in(m, "in.latents"));
            s.assertClose("out.ddim_prev", step.prevSample());
            s.assertClose("out.ddim_x0", step.predOriginalSample());
        }
        NoiseSchedule ddpm = config.noiseSchedule();
        float[] alphas = new float[ddpm.steps()];
        for (int i = 0; i < alphas.length; i++) {
            alphas[i] = (float) ddpm.alphaCumprod(i);
        }
        s.assertClose("out.ddpm_alphas_cumprod", alphas, new long[] {alphas.length});
    }

    /**
     * cnf reads what diffusers and transformers save: save_pretrained folders of all four classes, plain, as the fp16
     * variant, sharded with an index, and in bf16, each loaded through {@link DiffusersFolder} and giving the outputs of
     * the saved weights (evaluated in fp32, as cnf evaluates them).
     */
    @ParameterizedTest
    @ValueSource(strings = {"fp32", "fp16", "sharded", "bf16"})
    void readsWhatSavePretrainedWrites(String variant) throws IOException {
        Path dir = out.resolve("tiny-sd/saved").resolve(variant);
        Set s = new Set(dir, Safetensors.read(Files.readAllBytes(dir.resolve("io.safetensors"))));
        if (variant.equals("sharded")) {
            assertTrue(Files.exists(dir.resolve("unet/diffusion_pytorch_model.safetensors.index.json"))
                    && Files.exists(dir.resolve("text_encoder/model.safetensors.index.json")), "sharded with an index");
        }
        try (NDManager m = manager.newSubManager()) {
            UNet unet = DiffusersFolder.loadUNet(dir.resolve("unet"), m);
            ControlNet cn = DiffusersFolder.loadControlNet(dir.resolve("controlnet"), m);
            AutoencoderKL vae = DiffusersFolder.loadVae(dir.resolve("vae"), m);
            ClipTextModel te = DiffusersFolder.loadTextEncoder(dir.resolve("text_encoder"), m);
            s.checkUNetAndControlNet(m, unet, cn);
            s.checkVaeAndTextEncoder(m, vae, te);
        }
    }

    /** Key names, shapes and parameter counts of sd15's four models, as diffusers and transformers build them. */
    @Test
    void sd15KeysAndShapesEqualDiffusersOwnClasses() throws IOException {
        JsonNode theirs = new ObjectMapper().readTree(Files.readString(out.resolve("sd15-keys.json")));
        StableDiffusionConfig sd = StableDiffusionConfig.sd15();
        Map<String, NamedBlock> ours = Map.of("unet", new UNet(sd.unet()), "controlnet", new ControlNet(sd.controlnet()),
                "vae", new AutoencoderKL(sd.vae()), "text_encoder", new ClipTextModel(sd.textEncoder()));
        for (Map.Entry<String, NamedBlock> model : ours.entrySet()) {
            Map<String, String> expected = new TreeMap<>();
            long expectedCount = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = theirs.get(model.getKey()).fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                long[] shape = new long[e.getValue().size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = e.getValue().get(i).asLong();
                }
                expected.put(e.getKey(), Arrays.toString(shape));
                expectedCount += Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            }
            Map<String, String> actual = new TreeMap<>();
            for (Map.Entry<String, Parameter> p : model.getValue().namedParameters().entrySet()) {
                actual.put(p.getKey(), Arrays.toString(p.getValue().getShape().getShape()));
            }
            assertEquals(expected, actual, model.getKey() + ": names and shapes");
            assertEquals(expectedCount, model.getValue().parameterCount(), model.getKey() + ": parameters");
        }
    }
}
