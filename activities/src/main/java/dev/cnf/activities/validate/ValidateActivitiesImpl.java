package dev.cnf.activities.validate;

import dev.cnf.activities.models.OpenAiConfig;

import dev.cnf.activities.conditions.Conditions;
import dev.cnf.activities.registry.ModelRegistry;
import dev.cnf.activities.storage.Locations;
import dev.cnf.activities.storage.S3Location;
import dev.cnf.activities.models.annotator.AnnotatorModel;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.spec.EvaluationSpec;
import dev.cnf.workflows.stages.ValidateActivities;
import io.temporal.failure.ApplicationFailure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a run's input against the world before any work: the annotator model exists and loads as
 * TorchScript or ONNX, a Stable Diffusion base folder has its parts, and every s3:// source has objects. Every problem names the field and what to do; any
 * problem fails the run at once (non-retryable InvalidInput).
 */
public class ValidateActivitiesImpl implements ValidateActivities {
    private final ObjectStore store;
    private final OpenAiConfig openAi;

    public ValidateActivitiesImpl(ObjectStore store, OpenAiConfig openAi) {
        this.store = store;
        this.openAi = openAi;
    }

    /**
     * What the model library itself refuses of the input, asked of it before any work (no I/O): e.g. the tiny preset's
     * resolution must be a multiple of its total downsampling. The CLI asks the same before it starts a run.
     */
    public static List<String> modelProblems(PipelineInput in) {
        List<String> problems = new ArrayList<>();
        if (in.model().tiny()) {
            try {
                ModelConfig.preset(in.model().modelConfig()).withSampleSize(in.model().resolution());
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    @Override
    public Result validate(PipelineInput in) {
        List<String> problems = new ArrayList<>(in.problems());
        problems.addAll(modelProblems(in));
        List<String> checked = new ArrayList<>();
        if (!in.conditioning().annotatorModel().isEmpty() && in.conditioning().modelBacked()) {
            checked.add("annotatorModel " + in.conditioning().annotatorModel());
            if (!Locations.exists(in.conditioning().annotatorModel(), store)) {
                problems.add("annotatorModel '" + in.conditioning().annotatorModel() + "': no such file; upload the model there"
                        + " (e.g. mc cp model.pt " + in.conditioning().annotatorModel() + ") or point to one that exists");
            } else {
                try (AnnotatorModel ignored = AnnotatorModel.load(Locations.localFile(in.conditioning().annotatorModel(), store),
                        Conditions.annotatorKind(in.conditioning().condition()))) {
                    checked.add("annotatorModel loads");
                } catch (IllegalArgumentException e) {
                    problems.add("annotatorModel: " + e.getMessage());
                }
            }
        }
        if (in.model().stableDiffusion() && !in.model().baseModel().equals("random") && !in.model().baseModel().isEmpty()) {
            // the parts a diffusers Stable Diffusion folder must have; the weights are read by the train activity
            String base = in.model().baseModel().endsWith("/") ? in.model().baseModel() : in.model().baseModel() + "/";
            checked.add("baseModel " + base);
            List<String> missing = new ArrayList<>();
            for (String f : List.of("unet/config.json", "vae/config.json", "text_encoder/config.json", "tokenizer/vocab.json", "tokenizer/merges.txt")) {
                if (!Locations.exists(base + f, store)) {
                    missing.add(f);
                }
            }
            if (!missing.isEmpty()) {
                problems.add("baseModel " + base + " lacks " + String.join(", ", missing) + "; it must be a diffusers Stable Diffusion"
                        + " folder (unet/, vae/, text_encoder/, tokenizer/), e.g. a copy of stable-diffusion-v1-5");
            }
        }
        for (EvaluationSpec.Composed c : in.evaluation().composed()) {
            checked.add("composeWith " + c.label());
            problems.addAll(composedProblems(c, in, new ModelRegistry(store)));
        }
        if (in.caption().captioner().equals("csv") && !in.caption().captionsFile().isEmpty()) {
            checked.add("captionsFile " + in.caption().captionsFile());
            if (!Locations.exists(in.caption().captionsFile(), store)) {
                problems.add("captionsFile '" + in.caption().captionsFile() + "': no such file");
            }
        }
        if (in.caption().captioner().equals("model") && !in.caption().captionModel().isEmpty()) {
            String base = in.caption().captionModel().endsWith("/") ? in.caption().captionModel() : in.caption().captionModel() + "/";
            checked.add("captionModel " + base);
            for (String f : List.of("encoder.pt", "decoder.pt", "vocab.txt", "captioner.json")) {
                if (!Locations.exists(base + f, store)) {
                    problems.add("captionModel: " + base + f + " is missing");
                }
            }
        }
        if (in.caption().captioner().equals("openai") && !openAi.configured()) {
            problems.add("captioner 'openai': this worker has no endpoint; start workers with CNF_OPENAI_BASE_URL and CNF_OPENAI_MODEL"
                    + " (or --openai-base-url / --openai-model)");
        }
        for (String source : in.data().sources()) {
            if (source.startsWith("s3://")) {
                checked.add("source " + source);
                if (!hasObjects(source)) {
                    problems.add("sources: '" + source + "' has no objects (is the bucket or prefix right, and readable with the workers' credentials?)");
                }
            }
        }
        for (String image : new java.util.LinkedHashSet<>(in.evaluation().validationImages())) {
            checked.add("validationImages " + image);
            if (!Locations.exists(image, store)) {
                problems.add("validationImages '" + image + "': no such file; upload the condition there or point to one that exists");
            }
        }
        if (in.data().paired()) {
            List<String> local = new ArrayList<>(in.data().sources());
            local.add(in.data().pairs().conditioningDir());
            for (String location : local) {
                if (location.startsWith("/") || location.startsWith("file:")) {
                    checked.add("pairs at " + location);
                    if (!java.nio.file.Files.exists(Locations.pathOf(location))) {
                        problems.add("'" + location + "' does not exist on this worker; mount the dataset there or upload it to s3://");
                    }
                } else if (location.startsWith("s3://") && location.equals(in.data().pairs().conditioningDir()) && !hasObjects(location)) {
                    problems.add("pairs.conditioningDir '" + location + "' has no objects");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw ApplicationFailure.newNonRetryableFailure("invalid input: " + String.join("; ", problems), "InvalidInput");
        }
        return new Result(checked);
    }

    /** Whether anything is stored under an s3://bucket/prefix (an unreadable bucket counts as nothing). */
    private boolean hasObjects(String location) {
        S3Location s3 = S3Location.of(location);
        try {
            return !store.listIn(s3.bucket(), s3.key()).isEmpty();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Why a published ControlNet cannot be composed with this run's at evaluation (empty: it can). */
    public static List<String> composedProblems(EvaluationSpec.Composed c, PipelineInput in, ModelRegistry registry) {
        String version;
        try {
            version = registry.resolve(c.name(), c.version());
        } catch (IllegalArgumentException e) {
            return List.of("composeWith " + c.label() + ": " + e.getMessage());
        }
        Map<String, Object> card = registry.card(c.name(), version);
        List<String> p = new ArrayList<>();
        String what = "composeWith " + c.name() + "@" + version + ": ";
        for (String field : List.of("modelConfig", "baseModel", "resolution")) {
            Object theirs = card.get(field);
            Object ours = switch (field) {
                case "modelConfig" -> in.model().modelConfig();
                case "baseModel" -> in.model().baseModel();
                default -> in.model().resolution();
            };
            if (!String.valueOf(ours).equals(String.valueOf(theirs))) {
                p.add(what + "trained with " + field + " " + theirs + ", this run has " + ours + "; only ControlNets of the same base compose");
            }
        }
        if (Conditions.MODEL_BACKED.contains(String.valueOf(card.get("condition")))) {
            p.add(what + "its condition " + card.get("condition") + " needs an annotator model; compose ControlNets whose conditions"
                    + " are extracted without one (" + String.join(", ", new java.util.TreeSet<>(Conditions.classicalNames())) + ")");
        }
        if (String.valueOf(card.get("trainingMode")).startsWith("large")) {
            p.add(what + "trained in large mode, with its own base UNet; compose ControlNets that kept the base frozen");
        }
        return p;
    }
}
