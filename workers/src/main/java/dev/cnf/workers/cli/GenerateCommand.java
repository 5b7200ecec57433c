package dev.cnf.workers.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cnf.activities.conditions.Conditions;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.models.BaseModels;
import dev.cnf.activities.registry.ModelRegistry;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.BaseModel;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.workflows.spec.Condition;
import dev.cnf.workflows.spec.ModelSpec;
import io.temporal.failure.ApplicationFailure;
import org.opencv.core.Mat;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * Inference with published ControlNets: DDIM with classifier-free guidance on the base each was trained on, one or
 * several ControlNets (residuals summed, each with its condition and scale), written as PNGs beside the conditions
 * used and a {@code generate.json} that says how to make them again.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sample images from published ControlNet(s): a prompt and, per ControlNet, a condition image or a"
                + " source image to extract the condition from.",
        footer = {"", "Examples:",
                "  cnf generate --model circles --image photo.jpg --prompt \"a red circle\" --out samples/",
                "  cnf generate --model edges@20260101-1 --condition-image edges.png --control-scale 0.8 \\",
                "               --model depth --condition-image depth.png --control-scale 0.5 --prompt \"a room\" --out room/"})
public final class GenerateCommand implements Callable<Integer> {
    /** One ControlNet and what it sees; repeat the group for several. */
    static final class Control {
        @Option(names = "--model", required = true, description = "published model: NAME (its latest version), NAME@VERSION,"
                + " or a folder from `cnf models pull`")
        String model;

        @Option(names = "--condition-image", description = "the condition as it was trained (e.g. an edge map), any size: center-cropped and resized")
        Path conditionImage;

        @Option(names = "--image", description = "a source image; the condition is extracted from it (see --condition)")
        Path image;

        @Option(names = "--condition", description = "with --image: the condition to extract (default: the model's own;"
                + " canny uses --canny-low/--canny-high)")
        String condition;

        @Option(names = "--control-scale", defaultValue = "1.0", description = "this ControlNet's residual scale (default ${DEFAULT-VALUE})")
        float scale;
    }

    @ArgGroup(exclusive = false, multiplicity = "1..*", heading = "ControlNets (repeat for several):%n")
    List<Control> controls = new ArrayList<>();

    @Option(names = "--prompt", required = true, description = "the text prompt")
    String prompt;

    @Option(names = "--out", required = true, description = "folder for the samples; must not hold earlier samples")
    Path out;

    @Option(names = "--samples", defaultValue = "1", description = "images to make (default ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--steps", defaultValue = "20", description = "DDIM steps (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--guidance", description = "classifier-free guidance scale (default: the base's, as evaluation: 9.0, or 5.0 on"
            + " the shipped tiny-circles base)")
    Float guidance;

    @Option(names = "--seed", defaultValue = "42", description = "noise seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--base", description = "base model (default: the one the ControlNet was trained on, from its model card)")
    String base;

    @Option(names = "--canny-low", defaultValue = "100", description = "Canny low threshold for --condition canny (default ${DEFAULT-VALUE})")
    int cannyLow;

    @Option(names = "--canny-high", defaultValue = "200", description = "Canny high threshold (default ${DEFAULT-VALUE})")
    int cannyHigh;

    @Mixin
    ModelsCommand.Source source;

    @Override
    public Integer call() throws Exception {
        checkFlags();
        boolean needsStore = controls.stream().anyMatch(c -> !PublishedVersion.isFolder(c.model))
                || (base != null && base.startsWith("s3://"));
        try (ModelsCommand.Source.Opened opened = needsStore ? source.open() : null) {
            ObjectStore store = opened == null ? null : opened.store();
            List<PublishedVersion> versions = new ArrayList<>();
            for (Control c : controls) {
                versions.add(PublishedVersion.open(c.model, store));
            }
            PublishedVersion first = versions.get(0);
            checkSameBase(versions);
            String baseName = base != null ? base : first.baseModel();
            if (guidance == null) {
                guidance = (float) ModelSpec.guidanceScaleFor(baseName);
            }
            int size = first.resolution();
            Files.createDirectories(out);
            List<List<float[]>> conditions = new ArrayList<>();
            for (int k = 0; k < controls.size(); k++) {
                byte[] png = conditionPng(controls.get(k), versions.get(k), size);
                Files.write(out.resolve("condition-" + k + ".png"), png);
                conditions.add(Collections.nCopies(samples, OpenCv.toChw(OpenCv.decodeBgr(png), 0f, 1f)));
            }
            System.err.println("cnf: sampling " + samples + " image(s), " + steps + " DDIM steps, on base " + baseName + " with "
                    + versions.stream().map(PublishedVersion::label).toList());
            List<float[]> images = sample(versions, conditions, baseName, size, store);
            List<String> written = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                Path file = out.resolve(String.format("sample-%02d.png", i));
                Files.write(file, OpenCv.encodePng(OpenCv.fromChw(images.get(i), size, -1f, 1f)));
                written.add(file.toString());
            }
            writeRecipe(versions, baseName, size);
            written.forEach(System.out::println);
            return 0;
        }
    }

    /** Every problem with the flags at once, before anything is loaded. */
    private void checkFlags() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Control c : controls) {
            String who = "--model " + c.model + ": ";
            if ((c.conditionImage == null) == (c.image == null)) {
                problems.add(who + "give exactly one of --condition-image and --image");
            }
            for (Path p : new Path[] {c.conditionImage, c.image}) {
                if (p != null && !Files.isReadable(p)) {
                    problems.add(who + "cannot read " + p);
                }
            }
            if (c.condition != null && c.image == null) {
                problems.add(who + "--condition goes with --image (a --condition-image is used as it is)");
            }
            if (c.condition != null && !Conditions.classicalNames().contains(c.condition)) {
                problems.add(who + "--condition " + c.condition + ": extracted here only for " + Conditions.classicalNames()
                        + "; for a model-backed condition give its --condition-image");
            }
            if (!(c.scale >= 0f && c.scale <= 2f)) {
                problems.add(who + "--control-scale " + c.scale + ": must be in [0, 2]");
            }
        }
        if (prompt.isBlank()) {
            problems.add("--prompt is empty (an empty prompt is the unconditional one; say what to draw)");
        }
        if (samples < 1 || samples > 64) {
            problems.add("--samples " + samples + ": must be in [1, 64]");
        }
        if (steps < 1 || steps > 1000) {
            problems.add("--steps " + steps + ": must be in [1, 1000]");
        }
        if (guidance != null && !(guidance >= 1f && guidance <= 50f)) {
            problems.add("--guidance " + guidance + ": must be in [1, 50]");
        }
        if (cannyLow < 0 || cannyHigh <= cannyLow) {
            problems.add("--canny-low " + cannyLow + " / --canny-high " + cannyHigh + ": need 0 <= low < high");
        }
        if (Files.isDirectory(out)) {
            try (var listing = Files.list(out)) {
                if (listing.anyMatch(p -> p.getFileName().toString().matches("sample-\\d+\\.png|generate\\.json"))) {
                    problems.add("--out " + out + " holds earlier samples; choose another folder (nothing is overwritten)");
                }
            }
        } else if (Files.exists(out)) {
            problems.add("--out " + out + " is a file, not a folder");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    /** All ControlNets must sit on the same base, at the same resolution: their residuals add up in one UNet. */
    private void checkSameBase(List<PublishedVersion> versions) {
        List<String> problems = new ArrayList<>();
        PublishedVersion first = versions.get(0);
        for (PublishedVersion v : versions.subList(1, versions.size())) {
            if (!v.modelConfig().equals(first.modelConfig()) || v.resolution() != first.resolution()
                    || (base == null && !v.baseModel().equals(first.baseModel()))) {
                problems.add(v.label() + " was trained on " + v.modelConfig() + "/" + v.baseModel() + " at " + v.resolution()
                        + " px, " + first.label() + " on " + first.modelConfig() + "/" + first.baseModel() + " at " + first.resolution() + " px");
            }
            if (v.baseUnet() != null || (first.baseUnet() != null && versions.size() > 1)) {
                problems.add(v.label() + ": a large-mode version brings its own trained base UNet; it generates alone");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("these ControlNets cannot be combined: " + String.join("; ", problems));
        }
    }

    /** The condition as a PNG at the model's size, made the way the condition stage makes it from a training image. */
    private byte[] conditionPng(Control c, PublishedVersion v, int size) throws IOException {
        Mat read = OpenCv.decodeBgr(Files.readAllBytes(c.conditionImage != null ? c.conditionImage : c.image));
        if (read.empty()) {
            throw new IllegalArgumentException("--model " + c.model + ": " + (c.conditionImage != null ? c.conditionImage : c.image)
                    + " is not an image OpenCV can read (JPEG, PNG, WebP, ...)");
        }
        Mat square = OpenCv.resizeCenterCrop(read, size);
        if (c.conditionImage != null) {
            return OpenCv.encodePng(square);
        }
        String condition = c.condition != null ? c.condition : v.condition();
        if (condition.equals(Condition.CANNY.id())) {
            return OpenCv.encodeCompactPng(OpenCv.canny(OpenCv.toGray(square), cannyLow, cannyHigh));
        }
        if (!Conditions.classicalNames().contains(condition)) {
            throw new IllegalArgumentException("--model " + c.model + " reads " + condition + " conditions, which need an annotator model;"
                    + " give the condition with --condition-image");
        }
        return OpenCv.encodeCompactPng(Conditions.byName(condition).extract(square, new SplittableRandom(seed)).image());
    }

    private List<float[]> sample(List<PublishedVersion> versions, List<List<float[]>> conditions, String baseName, int size,
                                 ObjectStore store) throws IOException {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BaseModel baseModel = BaseModels.load(baseName, versions.get(0).modelConfig(), size, store, manager).model();
            if (versions.get(0).baseUnet() != null) {
                Weights.load(baseModel.unet(), Safetensors.read(versions.get(0).baseUnet()));
            }
            List<ControlNetSampler.Control> nets = new ArrayList<>();
            for (int k = 0; k < versions.size(); k++) {
                ControlNet net = baseModel.withHintEncoder(ModelRegistry.hintEncoder(versions.get(k).card())).newControlNet(manager, seed);
                try {
                    Weights.load(net, Safetensors.read(versions.get(k).weights()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(versions.get(k).label() + " does not fit base " + baseName + ": " + e.getMessage());
                }
                nets.add(new ControlNetSampler.Control(net, conditions.get(k), controls.get(k).scale));
            }
            return new ControlNetSampler(baseModel, null).sampleControlled(manager, Collections.nCopies(samples, prompt), nets,
                    new ControlNetSampler.Settings(steps, guidance, 1f, seed));
        } catch (ApplicationFailure e) { // the loader's verdict on a base that is not there or not usable
            throw new IllegalArgumentException(e.getOriginalMessage());
        }
    }

    private void writeRecipe(List<PublishedVersion> versions, String baseName, int size) throws IOException {
        Map<String, Object> recipe = new LinkedHashMap<>();
        recipe.put("prompt", prompt);
        recipe.put("base", baseName);
        recipe.put("modelConfig", versions.get(0).modelConfig());
        recipe.put("resolution", size);
        recipe.put("samples", samples);
        recipe.put("steps", steps);
        recipe.put("guidance", guidance);
        recipe.put("seed", seed);
        List<Map<String, Object>> nets = new ArrayList<>();
        for (int k = 0; k < versions.size(); k++) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("model", versions.get(k).name());
            n.put("version", versions.get(k).version());
            n.put("from", versions.get(k).where());
            n.put("weightsSha256", versions.get(k).weightsSha256());
            n.put("controlScale", controls.get(k).scale);
            n.put("condition", "condition-" + k + ".png");
            nets.add(n);
        }
        recipe.put("controlnets", nets);
        Files.write(out.resolve("generate.json"), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(recipe));
    }
}
