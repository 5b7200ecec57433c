package dev.cnf.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
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
import dev.cnf.model.unet.UNet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The tiny-sd preset's shipped config files, and the zero convolutions at work. Numerical parity is checked against
 * diffusers and transformers themselves in {@link DiffusersParityTest}; the plain-PyTorch restatement that made these
 * resources ({@code src/test/python/make_parity_reference.py}) stays for the original single-file layout it writes
 * from the original repositories' module structure (CheckpointFormatsTest), an independent statement of that mapping.
 */
class ParityTest {
    static final String DIR = "/dev/cnf/model/parity/tiny-sd/";
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

    static NDArray in(NDManager m, String key) {
        Tensor t = io.get(key);
        return m.create(t.data(), new Shape(t.shape()));
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
}
