package dev.cnf.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.cnf.model.nn.TorchOwned;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.DiffusersFolder;
import dev.cnf.model.nn.GradMode;
import dev.cnf.model.unet.UNet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real sd15 shapes on CPU: a 1.45 GB ControlNet goes through a diffusers folder and back without
 * a second copy of its weights, and UNet + ControlNet run a forward pass. About a minute, 6 GB.
 */
@Tag("heavy")
class Sd15MemoryTest {

    static long status(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    @Test
    void sd15LoadsFromADiffusersFolderWithoutASecondCopyAndRuns(@TempDir Path dir) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        StableDiffusionConfig sd = StableDiffusionConfig.sd15();
        long bytes = 4 * new ControlNet(sd.controlnet()).parameterCount();
        try (NDManager writer = NDManager.newBaseManager("PyTorch")) {
            ControlNet cn = new ControlNet(sd.controlnet());
            cn.allocateParameters(writer);
            TorchOwned.copyInto(cn.namedParameters().get("controlnet_mid_block.bias").getArray(), new float[1280]);
            NDArray marker = cn.namedParameters().get("controlnet_cond_embedding.conv_in.bias").getArray();
            float[] values = new float[16];
            for (int i = 0; i < values.length; i++) {
                values[i] = i + 0.5f;
            }
            TorchOwned.copyInto(marker, values);
            DiffusersFolder.save(cn, sd.controlnet().toJson(), dir.resolve("controlnet"));
        }
        assertTrue(Files.size(dir.resolve("controlnet/diffusion_pytorch_model.safetensors")) > bytes);
        System.gc();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            GradMode.disableOnThisThread();
            long before = status("RssAnon");
            DiffusersFolder.Component loaded = DiffusersFolder.load(dir.resolve("controlnet"), m);
            long grown = status("RssAnon") - before;
            System.out.printf("sd15 ControlNet: %.2f GiB of weights, anonymous memory grew %.2f GiB while loading%n",
                    bytes / (double) (1L << 30), grown / (double) (1L << 30));
            // One copy (the parameters themselves) is expected; a second full copy would show as ~2x.
            assertTrue(grown > 0.5 * bytes && grown < 1.4 * bytes,
                    "loading grew anonymous memory by " + grown + " bytes for " + bytes + " bytes of weights");
            ControlNet cn = (ControlNet) loaded.block();
            assertEquals(10.5f, cn.namedParameters().get("controlnet_cond_embedding.conv_in.bias").getArray().toFloatArray()[10]);

            UNet unet = new UNet(sd.unet());
            unet.allocateParameters(m);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(1, 4, 8, 8));
            NDArray t = m.create(new float[] {500});
            NDArray ctx = m.randomNormal(new Shape(1, 77, 768));
            NDArray hint = m.randomUniform(0, 1, new Shape(1, 3, 64, 64));
            NDList residuals = cn.residuals(ps, new NDList(x, t, ctx, hint), 1f, false);
            assertEquals(13, residuals.size(), "12 down residuals + mid");
            NDList args = new NDList(x, t, ctx);
            args.addAll(residuals);
            NDArray eps = unet.forward(ps, args, false, null).singletonOrThrow();
            assertEquals(new Shape(1, 4, 8, 8), eps.getShape());
            long peak = status("VmHWM");
            System.out.printf("sd15 UNet + ControlNet forward at 8x8 latents: peak RSS %.2f GiB%n", peak / (double) (1L << 30));
            assertTrue(peak < 24L << 30, "peak RSS " + peak);
        }
    }
}
