package dev.cnf.model;

import ai.djl.ndarray.NDManager;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.DiffusersFolder;
import dev.cnf.model.io.OriginalCheckpoint;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.SafetensorsFile;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.TensorSource;
import dev.cnf.model.io.Weights;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.text.ClipTextModel;
import dev.cnf.model.unet.UNet;
import dev.cnf.model.vae.AutoencoderKL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/** Original single-file checkpoints, memory-mapped reads, streaming writes, refusal of pickles. */
class CheckpointFormatsTest extends PyTorchTest {
    @TempDir
    static Path dir;

    static Path copy(String resource) throws IOException {
        Path out = dir.resolve(resource.replace('/', '_'));
        try (InputStream in = CheckpointFormatsTest.class.getResourceAsStream(ParityTest.DIR + resource)) {
            Files.copy(in, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return out;
    }

    /** Loads the same model from the diffusers file and through the original layout; every weight must agree. */
    static void assertSameWeights(NamedBlock fromDiffusers, NamedBlock fromOriginal, String diffusersFile,
                                  Function<TensorSource, TensorSource> originalView) throws IOException {
        fromDiffusers.initializeParameters(manager, 0);
        fromOriginal.initializeParameters(manager, 1);
        try (SafetensorsFile d = SafetensorsFile.open(copy("weights/" + diffusersFile));
             SafetensorsFile o = SafetensorsFile.open(copy("weights/original_single_file.safetensors"))) {
            Weights.load(fromDiffusers, d);
            Weights.load(fromOriginal, originalView.apply(o));
        }
        Map<String, Tensor> a = Weights.export(fromDiffusers);
        Map<String, Tensor> b = Weights.export(fromOriginal);
        Map<String, Tensor> viaHeap = Safetensors.read(Files.readAllBytes(copy("weights/" + diffusersFile)));
        a.forEach((k, v) -> assertEquals(viaHeap.get(k), v, "memory-mapped load of " + k));
        assertEquals(a.keySet(), b.keySet());
        a.forEach((k, v) -> assertEquals(v, b.get(k), k));
    }

    @Test
    void originalSingleFileLoadsAllFourModels() throws IOException {
        StableDiffusionConfig sd = StableDiffusionConfig.tinySd();
        assertSameWeights(new UNet(sd.unet()), new UNet(sd.unet()), "unet.safetensors", s -> OriginalCheckpoint.unet(s, sd.unet()));
        assertSameWeights(new ControlNet(sd.controlnet()), new ControlNet(sd.controlnet()), "controlnet.safetensors",
                s -> OriginalCheckpoint.controlNet(s, sd.controlnet()));
        assertSameWeights(new AutoencoderKL(sd.vae()), new AutoencoderKL(sd.vae()), "vae.safetensors",
                s -> OriginalCheckpoint.vae(s, sd.vae()));
        assertSameWeights(new ClipTextModel(sd.textEncoder()), new ClipTextModel(sd.textEncoder()), "text_encoder.safetensors",
                OriginalCheckpoint::textEncoder);
    }

    @Test
    void controlNetWritesTheOriginalLayoutAsTheReferenceScriptDoes() throws IOException {
        // The Python script maps diffusers → original independently; our inverse must give its exact names and tensors.
        StableDiffusionConfig sd = StableDiffusionConfig.tinySd();
        Map<String, Tensor> diffusers = Safetensors.read(Files.readAllBytes(copy("weights/controlnet.safetensors")));
        Map<String, Tensor> reference = new java.util.TreeMap<>();
        Safetensors.read(Files.readAllBytes(copy("weights/original_single_file.safetensors"))).forEach((k, v) -> {
            if (k.startsWith(OriginalCheckpoint.CONTROL)) {
                reference.put(k, v);
            }
        });
        Map<String, Tensor> ours = new java.util.TreeMap<>(OriginalCheckpoint.controlNetToOriginal(diffusers, sd.controlnet()));
        assertEquals(reference.keySet(), ours.keySet());
        reference.forEach((k, v) -> assertEquals(v, ours.get(k), k));

        // Publishing renames the header only (the data bytes are copied, never decoded): the same tensors come back.
        Path diffusersFile = copy("weights/controlnet.safetensors");
        Path renamedFile = diffusersFile.resolveSibling("control_renamed.safetensors");
        Safetensors.renamed(diffusersFile, renamedFile, k -> OriginalCheckpoint.originalControlName(k, sd.controlnet()), Map.of("format", "pt"));
        byte[] renamed = Files.readAllBytes(renamedFile);
        Map<String, Tensor> readBack = new java.util.TreeMap<>(Safetensors.read(renamed));
        assertEquals(reference.keySet(), readBack.keySet());
        reference.forEach((k, v) -> assertEquals(v, readBack.get(k), k));
        assertEquals("pt", Safetensors.metadata(renamed).get("format"));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.renamed(diffusersFile, renamedFile, k -> "one name", null),
                "two tensors may not end up under one name");

        // The demo's tiny preset conditions on pooled text through `text_embedding`, which the original layout lacks.
        dev.cnf.model.config.ControlNetConfig tiny = dev.cnf.model.config.ModelConfig.tiny().controlNet();
        assertEquals(tiny.toJson(), dev.cnf.model.config.ControlNetConfig.fromJson(tiny.toJson()).toJson(), "the published config.json reads back");
        ControlNet tinyNet = new ControlNet(tiny);
        tinyNet.initializeParameters(manager, 3);
        IllegalArgumentException noPlace = assertThrows(IllegalArgumentException.class,
                () -> OriginalCheckpoint.controlNetToOriginal(Weights.export(tinyNet), tiny));
        assertTrue(noPlace.getMessage().contains("text_embedding.weight"), noPlace.getMessage());

        Map<String, Tensor> stray = new java.util.LinkedHashMap<>(diffusers);
        stray.put("class_embedding.linear_1.weight", new Tensor(new long[] {1}, new float[] {0}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OriginalCheckpoint.controlNetToOriginal(stray, sd.controlnet()));
        assertTrue(e.getMessage().contains("class_embedding.linear_1.weight"), e.getMessage());
    }

    @Test
    void diffusersFoldersSaveAndLoadEveryModelClass() throws IOException {
        StableDiffusionConfig sd = StableDiffusionConfig.tinySd();
        Path root = dir.resolve("pipeline");
        Map<String, NamedBlock> blocks = new LinkedHashMap<>();
        blocks.put("unet", new UNet(sd.unet()));
        blocks.put("controlnet", new ControlNet(sd.controlnet()));
        blocks.put("vae", new AutoencoderKL(sd.vae()));
        blocks.put("text_encoder", new ClipTextModel(sd.textEncoder()));
        Map<String, String> configs = Map.of("unet", sd.unet().toJson(), "controlnet", sd.controlnet().toJson(),
                "vae", sd.vae().toJson(), "text_encoder", sd.textEncoder().toJson());
        long seed = 10;
        for (Map.Entry<String, NamedBlock> e : blocks.entrySet()) {
            e.getValue().initializeParameters(manager, seed++);
            DiffusersFolder.save(e.getValue(), configs.get(e.getKey()), root.resolve(e.getKey()));
        }
        assertTrue(Files.exists(root.resolve("text_encoder/model.safetensors")), "transformers' file name for CLIP");
        assertEquals(java.util.Set.of("unet", "controlnet", "vae", "text_encoder"), DiffusersFolder.describePipeline(root).keySet());
        for (Map.Entry<String, NamedBlock> e : blocks.entrySet()) {
            DiffusersFolder.Component c = DiffusersFolder.load(root.resolve(e.getKey()), manager);
            assertEquals(e.getValue().getClass(), c.block().getClass());
            Map<String, Tensor> expected = Weights.export(e.getValue());
            Weights.export(c.block()).forEach((k, v) -> assertEquals(expected.get(k), v, e.getKey() + " " + k));
        }
        Path pickled = dir.resolve("pickled");
        Files.createDirectories(pickled);
        Files.writeString(pickled.resolve("config.json"), sd.vae().toJson());
        Files.write(pickled.resolve("diffusion_pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        IOException refused = assertThrows(IOException.class, () -> DiffusersFolder.load(pickled, manager));
        assertTrue(refused.getMessage().contains("convert"), refused.getMessage());
        Files.writeString(pickled.resolve("config.json"), "{\"_class_name\": \"UNet2DModel\"}");
        IOException unknown = assertThrows(IOException.class, () -> DiffusersFolder.describe(pickled));
        assertTrue(unknown.getMessage().contains("UNet2DModel"), unknown.getMessage());
    }

    @Test
    void aMismatchListsMissingUnexpectedAndWrongShapes() throws IOException {
        StableDiffusionConfig sd = StableDiffusionConfig.tinySd();
        UNet wrong = new UNet(sd.unet());
        wrong.initializeParameters(manager, 0);
        try (SafetensorsFile f = SafetensorsFile.open(copy("weights/controlnet.safetensors"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Weights.load(wrong, f));
            assertTrue(e.getMessage().contains("missing [") && e.getMessage().contains("up_blocks.0.resnets.0.conv1.weight"), e.getMessage());
            assertTrue(e.getMessage().contains("unexpected [") && e.getMessage().contains("controlnet_mid_block.weight"), e.getMessage());
        }
    }

    @Test
    void streamingWriteAndMappedReadRoundTrip() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b.weight", new Tensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6}));
        tensors.put("a.bias", new Tensor(new long[] {3}, new float[] {0.5f, Float.MIN_VALUE, -0f}));
        Path file = dir.resolve("round.safetensors");
        try (OutputStream out = Files.newOutputStream(file)) {
            Safetensors.write(out, TensorSource.of(tensors), Map.of("format", "pt"));
        }
        assertArrayEquals(Safetensors.write(tensors, Map.of("format", "pt")), Files.readAllBytes(file), "stream = in-memory bytes");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(java.util.List.of("a.bias", "b.weight"), java.util.List.copyOf(f.names()), "sorted for reproducible bytes");
            assertArrayEquals(tensors.get("b.weight").data(), f.floats("b.weight"));
            assertArrayEquals(tensors.get("a.bias").data(), f.floats("a.bias"));
            assertEquals("pt", f.metadata().get("format"));
        }
    }

    @Test
    void pickleCheckpointsAreRefusedWithAConversionHint() throws IOException {
        Path ckpt = dir.resolve("v1-5-pruned.ckpt");
        Files.write(ckpt, new byte[] {'P', 'K', 3, 4});
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(ckpt));
        assertTrue(e.getMessage().contains("pickle") && e.getMessage().contains("safetensors"), e.getMessage());
        Path disguised = dir.resolve("model.safetensors");
        Files.write(disguised, new byte[] {(byte) 0x80, 2, ']', 'q', 0});
        assertThrows(IOException.class, () -> SafetensorsFile.open(disguised), "a pickle renamed to .safetensors");
        for (String name : new String[] {"diffusion_pytorch_model.bin", "control_sd15_canny.pth", "x.pt"}) {
            Path p = dir.resolve(name);
            Files.write(p, new byte[16]);
            assertThrows(IOException.class, () -> SafetensorsFile.open(p), name);
        }
    }
}
