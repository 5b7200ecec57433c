package dev.cnf.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.DiffusersFolder;
import dev.cnf.model.unet.UNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The README's model-library example runs as written, on a tiny-sd folder, and its named calls equal the positional ones. */
class LibraryExampleTest {
    @Test
    void theReadmeExampleRuns(@TempDir Path dir) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        StableDiffusionConfig sd = StableDiffusionConfig.tinySd();
        TinySdFolder.write(dir.resolve("sd"), 1);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            UNet unet = DiffusersFolder.loadUNet(dir.resolve("sd/unet"), m);
            ControlNet cn = new ControlNet(sd.controlnet());
            cn.initializeParameters(m, 4);
            cn.copyEncoderFrom(unet);
            DiffusersFolder.save(cn, sd.controlnet().toJson(), dir.resolve("controlnet"));
        }
        float[] edges = new float[3 * 64 * 64];
        for (int i = 0; i < 64; i++) {
            edges[i * 64 + i] = edges[64 * 64 + i * 64 + i] = edges[2 * 64 * 64 + i * 64 + i] = 1f;
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            LibraryExample.Outcome out = LibraryExample.run(dir.resolve("sd"), dir.resolve("controlnet"), edges, m);
            assertEquals(1, out.images().size());
            for (float v : out.images().get(0)) {
                assertTrue(v >= -1f && v <= 1f);
            }
            assertArrayEquals(new long[] {1, 4, 16, 16}, out.noise().getShape().getShape());
            assertArrayEquals(new long[] {1, 4, 16, 16}, out.predictedClean().getShape().getShape());

            // the named calls are the positional ones, with a 0-dim timestep broadcast like diffusers'
            UNet unet = DiffusersFolder.loadUNet(dir.resolve("sd/unet"), m);
            ControlNet cn = DiffusersFolder.loadControlNet(dir.resolve("controlnet"), m);
            NDArray x = m.randomNormal(new ai.djl.ndarray.types.Shape(2, 4, 16, 16));
            NDArray ctx = m.randomNormal(new ai.djl.ndarray.types.Shape(2, 77, 32));
            NDArray hint = m.create(edges, new ai.djl.ndarray.types.Shape(1, 3, 64, 64)).concat(m.create(edges, new ai.djl.ndarray.types.Shape(1, 3, 64, 64)), 0);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray ts = m.create(new float[] {500f, 500f});
            NDList positional = cn.residuals(ps, new NDList(x, ts, ctx, hint), 1f, false);
            NDList unetIn = new NDList(x, ts, ctx);
            unetIn.addAll(positional);
            float[] expected = unet.forward(ps, unetIn, false, null).singletonOrThrow().toFloatArray();
            NDArray t = m.create(500f);
            assertArrayEquals(expected, unet.predict(x, t, ctx, cn.predict(x, t, ctx, hint, 1f)).toFloatArray(), 0f);
        }
    }

    @Test
    void theReadmeShowsTheExampleAsItRuns() throws Exception {
        String source = Files.readString(Oracles.ROOT.resolve("model/src/test/java/dev/cnf/model/LibraryExample.java"));
        String body = source.substring(source.indexOf("// README:begin\n") + "// README:begin\n".length(), source.indexOf("        // README:end"));
        String readme = Files.readString(Oracles.ROOT.resolve("README.md"));
        String indented = body.lines().map(l -> l.length() >= 8 ? l.substring(8) : l.strip()).reduce((a, b) -> a + "\n" + b).orElseThrow();
        assertTrue(readme.contains(indented), "README.md shows LibraryExample's code between its markers:\n" + indented);
    }
}
