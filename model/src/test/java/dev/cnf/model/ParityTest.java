package dev.cnf.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.cnf.model.config.AutoencoderConfig;
import dev.cnf.model.config.ClipTextConfig;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.config.UNetConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.schedulers.DdimScheduler;
import dev.cnf.model.schedulers.SchedulerConfig;
import dev.cnf.model.text.ClipTextModel;
import dev.cnf.model.unet.UNet;
import dev.cnf.model.vae.AutoencoderKL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Numerical parity with PyTorch: {@code src/test/python/make_parity_reference.py} built the tiny-sd
 * models in PyTorch with diffusers' module names, wrote their weights and outputs; the DJL blocks
 * loaded with the same safetensors must reproduce every output within 1e-4 (fp32).
 */
class ParityTest {
    static final String DIR = "/dev/cnf/model/parity/tiny-sd/";
    static final float TOLERANCE = 1e-4f;
    static NDManager manager;
    static Map<String, Tensor> io;

    @BeforeAll
    static void load() throws IOException {
        System.setProperty("ai.djl.offline", "true");
        manager = NDManager.newBaseManager("PyTorch");
        io = Safetensors.read(resource("io.safetensors"));
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = ParityTest.class.getResourceAsStream(DIR + name)) {
            assertNotNull(in, "missing test resource " + name + "; run make_parity_reference.py");
            return in.readAllBytes();
        }
    }

    static String text(String name) throws IOException {
        return new String(resource(name), StandardCharsets.UTF_8);
    }

    static <B extends NamedBlock> B loaded(B block, String weights) throws IOException {
        block.initializeParameters(manager, 0);
        Weights.load(block, Safetensors.read(resource("weights/" + weights)));
        return block;
    }

    static NDArray in(NDManager m, String key) {
        Tensor t = io.get(key);
        return m.create(t.data(), new Shape(t.shape()));
    }

    static void assertClose(String key, NDArray actual) {
        Tensor expected = io.get(key);
        assertArrayEquals(expected.shape(), actual.getShape().getShape(), key + " shape");
        float[] a = actual.toFloatArray();
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - expected.data()[i]));
        }
        System.out.printf("parity %-24s max abs diff %.2e%n", key, worst);
        assertTrue(worst <= TOLERANCE, key + ": max |Δ| " + worst + " > " + TOLERANCE);
    }

    @Test
    void configFilesAreTheTinySdPreset() throws IOException {
        StableDiffusionConfig tiny = StableDiffusionConfig.tinySd();
        assertEquals(tiny.unet(), UNetConfig.fromJson(text("unet_config.json")));
        assertEquals(tiny.controlnet(), ControlNetConfig.fromJson(text("controlnet_config.json")));
        assertEquals(tiny.vae(), AutoencoderConfig.fromJson(text("vae_config.json")));
        assertEquals(tiny.textEncoder(), ClipTextConfig.fromJson(text("text_encoder_config.json")));
    }

    @Test
    void unetControlNetAndDdimStepMatchPyTorch() throws IOException {
        StableDiffusionConfig sd = StableDiffusionConfig.tinySd();
        try (NDManager m = manager.newSubManager()) {
            UNet unet = loaded(new UNet(sd.unet()), "unet.safetensors");
            ControlNet cn = loaded(new ControlNet(sd.controlnet()), "controlnet.safetensors");
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = in(m, "in.latents");
            NDArray t = in(m, "in.timesteps");
            NDArray ctx = in(m, "in.context");
            NDArray eps = unet.forward(ps, new NDList(x, t, ctx), false, null).singletonOrThrow();
            assertClose("out.unet", eps);

            NDList residuals = cn.residuals(ps, new NDList(x, t, ctx, in(m, "in.hint")), 0.7f, false);
            for (int i = 0; i < residuals.size() - 1; i++) {
                assertClose("out.controlnet." + i, residuals.get(i));
            }
            assertClose("out.controlnet.mid", residuals.get(residuals.size() - 1));
            NDList controlled = new NDList(x, t, ctx);
            controlled.addAll(residuals);
            assertClose("out.unet_controlled", unet.forward(ps, controlled, false, null).singletonOrThrow());

            DdimScheduler ddim = new DdimScheduler(SchedulerConfig.sd15(), 20);
            assertClose("out.ddim_prev", ddim.step(eps, 501, x));
        }
    }

    @Test
    void zeroConvolutionsKeepTheUNetOutputExactlyAtInitialisation() {
        StableDiffusionConfig sd = StableDiffusionConfig.tinySd();
        try (NDManager m = manager.newSubManager()) {
            UNet unet = new UNet(sd.unet());
            unet.initializeParameters(m, 3);
            ControlNet cn = new ControlNet(sd.controlnet());
            cn.initializeParameters(m, 4);
            cn.copyEncoderFrom(unet);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = in(m, "in.latents");
            NDArray t = in(m, "in.timesteps");
            NDArray ctx = in(m, "in.context");
            NDArray plain = unet.forward(ps, new NDList(x, t, ctx), false, null).singletonOrThrow();
            NDList args = new NDList(x, t, ctx);
            args.addAll(cn.residuals(ps, new NDList(x, t, ctx, in(m, "in.hint")), 1f, false));
            assertArrayEquals(plain.toFloatArray(), unet.forward(ps, args, false, null).singletonOrThrow().toFloatArray(), 0f);
        }
    }

    @Test
    void vaeMatchesPyTorch() throws IOException {
        try (NDManager m = manager.newSubManager()) {
            AutoencoderKL vae = loaded(new AutoencoderKL(StableDiffusionConfig.tinySd().vae()), "vae.safetensors");
            ParameterStore ps = new ParameterStore(m, false);
            assertClose("out.vae_latents", vae.encode(ps, in(m, "in.image"), null, false));
            assertClose("out.vae_decoded", vae.decode(ps, in(m, "in.latents"), false));
        }
    }

    @Test
    void clipTextEncoderMatchesPyTorch() throws IOException {
        try (NDManager m = manager.newSubManager()) {
            ClipTextModel te = loaded(new ClipTextModel(StableDiffusionConfig.tinySd().textEncoder()), "text_encoder.safetensors");
            ParameterStore ps = new ParameterStore(m, false);
            NDArray ids = in(m, "in.ids").toType(DataType.INT64, false);
            assertClose("out.text", te.forward(ps, new NDList(ids), false, null).singletonOrThrow());
        }
    }
}
