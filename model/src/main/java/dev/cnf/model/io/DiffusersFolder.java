package dev.cnf.model.io;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.model.config.AutoencoderConfig;
import dev.cnf.model.config.ClipTextConfig;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.config.UNetConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.nn.NamedBlock;
import dev.cnf.model.text.ClipTextModel;
import dev.cnf.model.unet.UNet;
import dev.cnf.model.vae.AutoencoderKL;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A diffusers model folder ({@code config.json} + {@code diffusion_pytorch_model.safetensors}, or
 * transformers' {@code model.safetensors} for CLIP) of any of our four model classes, and a pipeline
 * root holding them in {@code unet/}, {@code vae/}, {@code text_encoder/}, {@code controlnet/}.
 */
public final class DiffusersFolder {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final List<String> PIPELINE_PARTS = List.of("unet", "controlnet", "vae", "text_encoder");
    /** Weights as diffusers (first) and transformers name them, in the order they are looked for: full precision before fp16. */
    private static final List<String> WEIGHT_FILES = List.of(
            "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors.index.json",
            "model.safetensors", "model.safetensors.index.json",
            "diffusion_pytorch_model.fp16.safetensors", "diffusion_pytorch_model.safetensors.index.fp16.json",
            "model.fp16.safetensors", "model.safetensors.index.fp16.json");

    private DiffusersFolder() {}

    /** A model built from its config (shapes only; no weights allocated yet) and the class it came from. */
    public record Component(String className, Path folder, NamedBlock block, String configJson) {}

    /** Reads {@code config.json} and builds the matching block; fails naming the class if it is not one of ours. */
    public static Component describe(Path folder) throws IOException {
        Path configFile = Files.isDirectory(folder) ? folder.resolve("config.json") : folder;
        if (!Files.isRegularFile(configFile)) {
            throw new IOException(folder + " has no config.json; expected a diffusers model folder (config.json + weights)");
        }
        String json = Files.readString(configFile);
        JsonNode node = JSON.readTree(json);
        String cls = node.path("_class_name").asText("");
        if (cls.isEmpty() && node.path("architectures").toString().contains("CLIPTextModel")) {
            cls = "CLIPTextModel";
        }
        NamedBlock block = switch (cls) {
            case "UNet2DConditionModel" -> new UNet(UNetConfig.fromJson(json));
            case "ControlNetModel" -> new ControlNet(ControlNetConfig.fromJson(json));
            case "AutoencoderKL" -> new AutoencoderKL(AutoencoderConfig.fromJson(json));
            case "CLIPTextModel" -> new ClipTextModel(ClipTextConfig.fromJson(json));
            default -> throw new IOException(configFile + ": model class '" + cls + "' is not supported "
                    + "(UNet2DConditionModel, ControlNetModel, AutoencoderKL, CLIPTextModel)");
        };
        return new Component(cls, configFile.getParent(), block, json);
    }

    /** The components present under a pipeline root, by sub-folder name. */
    public static Map<String, Component> describePipeline(Path root) throws IOException {
        Map<String, Component> out = new LinkedHashMap<>();
        for (String part : PIPELINE_PARTS) {
            if (Files.isRegularFile(root.resolve(part).resolve("config.json"))) {
                out.put(part, describe(root.resolve(part)));
            }
        }
        if (out.isEmpty() && Files.isRegularFile(root.resolve("config.json"))) {
            out.put("model", describe(root));
        }
        if (out.isEmpty()) {
            throw new IOException(root + " holds no diffusers model: no config.json in it or in " + PIPELINE_PARTS);
        }
        return out;
    }

    /**
     * The weights of a model folder, as diffusers and transformers save them: one file or shards with their
     * {@code .index.json}, full precision first, then the fp16 variant ({@code variant="fp16"}); F32, F16 and BF16
     * tensors alike. Pickled checkpoints are refused with the conversion hint.
     */
    public static Path weightsFile(Path folder) throws IOException {
        for (String name : WEIGHT_FILES) {
            if (Files.isRegularFile(folder.resolve(name))) {
                return folder.resolve(name);
            }
        }
        for (String name : List.of("diffusion_pytorch_model.bin", "pytorch_model.bin")) {
            if (Files.isRegularFile(folder.resolve(name))) {
                SafetensorsFile.refusePickle(folder.resolve(name)); // throws with the conversion hint
            }
        }
        throw new IOException(folder + " has no diffusion_pytorch_model.safetensors or model.safetensors (nor shards with an"
                + " .index.json, nor an fp16 variant)");
    }

    /** The weights {@link #weightsFile} names, opened: a single safetensors file or every shard of an index. */
    public static TensorFiles openWeights(Path folder) throws IOException {
        Path file = weightsFile(folder);
        return file.getFileName().toString().endsWith(".json") ? ShardedWeights.open(file) : SafetensorsFile.open(file);
    }

    /** Builds the model from config.json and loads its safetensors weights (memory-mapped, tensor by tensor). */
    public static Component load(Path folder, NDManager manager) throws IOException {
        Component c = describe(folder);
        loadWeights(c, manager);
        return c;
    }

    /** A UNet2DConditionModel folder, loaded. */
    public static UNet loadUNet(Path folder, NDManager manager) throws IOException {
        return load(folder, manager, UNet.class, "UNet2DConditionModel");
    }

    /** A ControlNetModel folder (a version cnf published, or one diffusers saved), loaded. */
    public static ControlNet loadControlNet(Path folder, NDManager manager) throws IOException {
        return load(folder, manager, ControlNet.class, "ControlNetModel");
    }

    /** An AutoencoderKL folder, loaded. */
    public static AutoencoderKL loadVae(Path folder, NDManager manager) throws IOException {
        return load(folder, manager, AutoencoderKL.class, "AutoencoderKL");
    }

    /** A CLIPTextModel folder (transformers' layout), loaded. */
    public static ClipTextModel loadTextEncoder(Path folder, NDManager manager) throws IOException {
        return load(folder, manager, ClipTextModel.class, "CLIPTextModel");
    }

    private static <B extends NamedBlock> B load(Path folder, NDManager manager, Class<B> type, String className) throws IOException {
        Component c = describe(folder);
        if (!type.isInstance(c.block())) {
            throw new IOException(folder + " holds a " + c.className() + ", not a " + className);
        }
        loadWeights(c, manager);
        return type.cast(c.block());
    }

    private static void loadWeights(Component c, NDManager manager) throws IOException {
        c.block().allocateParameters(manager);
        try (TensorFiles weights = openWeights(c.folder())) {
            Weights.load(c.block(), weights);
        }
    }

    /** Writes {@code config.json} and {@code diffusion_pytorch_model.safetensors} (streamed), loadable by diffusers. */
    public static void save(NamedBlock block, String configJson, Path folder) throws IOException {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("config.json"), configJson);
        String weights = block instanceof ClipTextModel ? "model.safetensors" : "diffusion_pytorch_model.safetensors";
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(folder.resolve(weights)), 1 << 20)) {
            Safetensors.write(out, parameters(block), Map.of("format", "pt"));
        }
    }

    /** A block's parameters as a tensor source, read one at a time from the engine. */
    public static TensorSource parameters(NamedBlock block) {
        Map<String, Parameter> params = block.namedParameters();
        return new TensorSource() {
            @Override
            public Set<String> names() {
                return params.keySet();
            }

            @Override
            public long[] shape(String name) {
                return params.get(name).getArray().getShape().getShape();
            }

            @Override
            public float[] floats(String name) {
                return params.get(name).getArray().toFloatArray();
            }
        };
    }
}
