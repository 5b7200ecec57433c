package dev.cnf.activities.publish;

import dev.cnf.activities.registry.ModelRegistry;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.spec.AspectBuckets;
import dev.cnf.workflows.spec.TrainingSpec;
import dev.cnf.workflows.stages.PublishActivities;
import dev.cnf.workflows.stages.TrainActivities;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The published version's README.md: Hugging Face model-card front matter, then what a user needs to judge and load it. */
final class ModelCard {
    private ModelCard() {}

    /**
     * The card's facts as {@code model_card.json} states them, from the run's typed facts: what was trained, on what,
     * how, and how it scored. Part of the version's content id.
     */
    static Map<String, Object> fields(PublishActivities.Request r) {
        PublishActivities.RunFacts facts = r.facts();
        PipelineInput in = facts.input();
        TrainingSpec training = in.training();
        TrainActivities.Result tr = r.trained();
        Map<String, Object> card = new LinkedHashMap<>(); // typed: numbers as numbers, flags as booleans
        card.put("name", r.run().name());
        card.put("version", r.version());
        card.put("workflowId", facts.workflowId());
        card.put("runId", facts.runId());
        card.put("modelConfig", in.model().modelConfig());
        card.put("condition", in.conditioning().condition());
        card.put("conditionSource", in.data().paired() ? "given by the dataset (" + in.data().pairs().format() + ")" : "extracted");
        card.put("captioner", in.caption().captioner());
        card.put("resolution", in.model().resolution());
        card.put("aspectBuckets", in.data().aspectBuckets() ? AspectBuckets.of(in.data(), in.model()).sizes().stream()
                .map(AspectBuckets.Size::toString).collect(java.util.stream.Collectors.joining(", ")) : "off (centre-cropped squares)");
        card.put("trainSteps", tr.steps());
        card.put("trainingMode", training.trainingMode() + switch (training.trainingMode()) {
            case "small" -> " (skips reconnected " + (training.reconnectSkipsAt() >= 0 ? "at step " + training.reconnectSkipsAt()
                    : "when sudden convergence was detected") + ")";
            case "large" -> " (base UNet unlocked at step " + training.unlockBaseAt() + ", learning rate " + training.baseLearningRate() + ")";
            default -> "";
        });
        card.put("batchSize", training.batchSize());
        card.put("learningRate", training.learningRate());
        card.put("promptDropout", training.promptDropout());
        card.put("augment", training.augment().isEmpty() ? "none" : String.join(", ", training.augment()));
        card.put("zeroConvInit", training.zeroConvInit());
        card.put("hintEncoder", in.model().hintEncoder());
        card.put("seed", r.run().seed());
        card.put("baseModel", in.model().baseModel());
        card.put("baseModelSha256", tr.baseSha256());
        card.put("finalLoss", Double.isFinite(tr.finalLoss()) ? Math.round(tr.finalLoss() * 1e4) / 1e4 : null); // 4 decimals
        card.put("publishedCheckpoint", r.choice() == null ? "step " + tr.steps() + " (the last)"
                : String.format(java.util.Locale.ROOT, "step %d: the best held-out edge F1 (%.3f) of %d evaluated checkpoints; the last step's (%d) scored %.3f",
                        r.choice().step(), r.choice().edgeF1(), r.choice().evaluated(), r.choice().lastStep(), r.choice().lastEdgeF1()));
        card.put("convergedStep", tr.convergedStep()); // null: not detected
        card.put("skippedSteps", tr.skippedSteps());
        card.put("edgeF1", r.evaluated().edgeF1());
        card.put("imagesSeen", facts.cleaned().seen());
        card.put("imagesKept", facts.cleaned().kept());
        card.put("edgeF1NoControl", r.evaluated().edgeF1NoControl());
        card.put("onlyNewData", in.data().onlyNewData());
        card.put("continuedFromLatest", training.continueFromLatest());
        return card;
    }

    /** A Hugging Face Hub model id ("org/name"), not a path, an s3:// folder or one of cnf's own bases. */
    static boolean isHubId(String baseModel) {
        return baseModel.matches("[A-Za-z0-9][\\w.-]*/[\\w.-]+") && !baseModel.startsWith("/");
    }

    static String markdown(Map<String, Object> card, Map<String, Object> metrics, PublishActivitiesImpl.Decision decision) {
        String name = text(card, "name");
        String version = text(card, "version");
        String condition = text(card, "condition");
        String preset = text(card, "modelConfig");
        String base = text(card, "baseModel");
        StringBuilder md = new StringBuilder();
        md.append("---\n")
                .append("library_name: diffusers\n")
                .append("pipeline_tag: text-to-image\n");
        if (isHubId(base)) { // a path or an s3:// folder must not pose as a Hub id: it is in the card's body instead
            md.append("base_model: ").append(yaml(base)).append('\n');
        }
        md.append("license: other\n")
                .append("license_name: base-model-and-training-data\n") // the Hub asks for a name with "other"
                .append("tags:\n  - controlnet\n  - cnf\n  - ").append(yaml(condition)).append('\n')
                .append("---\n\n");
        md.append("# ").append(name).append(" ").append(version).append("\n\n");
        md.append("A ControlNet for **").append(condition).append("** conditions on the base model **")
                .append(base).append("** (model config `").append(preset).append("`), trained by ControlNet Factory.\n\n");
        md.append("**Status:** ").append(decision.promoted() ? "latest" : "candidate (not promoted)").append(" — ")
                .append(decision.reason()).append("\n\n");
        md.append("## Loading\n\n");
        String hint = ModelRegistry.hintEncoder(card);
        boolean paperHint = hint.equals("paper");
        // the tiny preset's names; the paper encoder's (controlnet_cond_embedding.*) are the same for every preset
        List<String> unloadable = new ControlNet(ModelConfig.tiny().controlNet().withHintEncoder(hint)).parametersDiffusersCannotLoad();
        if ("tiny".equals(preset)) {
            md.append("The folder follows diffusers' ControlNetModel layout and parameter names (`config.json`, ")
                    .append("`diffusion_pytorch_model.safetensors`) and loads with `cnf`. diffusers cannot run it: the `tiny` preset ")
                    .append("conditions its UNet on a pooled text vector (`cnf_pooled_text_dim` in config.json, which diffusers ignores) ")
                    .append("instead of cross-attention, and its middle block has two resnets where diffusers builds one")
                    .append(paperHint ? "; its hint encoder is the paper's (`cnf_hint_encoder`), whose weights have other shapes" : "")
                    .append(". `ControlNetModel.from_pretrained` would leave out these ").append(unloadable.size())
                    .append(" parameters and build another network without saying so: ")
                    .append(String.join(", ", unloadable.stream().map(k -> "`" + k + "`").toList())).append(".\n\n");
        } else if (paperHint) {
            md.append("The folder follows diffusers' ControlNetModel layout and loads with `cnf`. diffusers cannot load it: its hint ")
                    .append("encoder is the paper's (four 4x4 convolutions, ReLU; `cnf_hint_encoder` in config.json, which diffusers ")
                    .append("ignores), so diffusers builds its own 3x3 encoder, which has weights this file lacks, and refuses these, ")
                    .append("whose shapes differ: ").append(String.join(", ", unloadable.stream()
                            .filter(k -> k.startsWith("controlnet_cond_embedding.")).map(k -> "`" + k + "`").toList())).append(".\n\n");
        } else {
            md.append("```python\nfrom diffusers import ControlNetModel\ncontrolnet = ControlNetModel.from_pretrained(\"./")
                    .append(name).append("-").append(version).append("\")  # after `cnf models pull ").append(name).append(" ").append(version).append("`\n```\n\n");
        }
        md.append("With cnf, from a prompt and a ").append(condition).append(" map (or `--image photo.jpg` to extract it):\n\n```bash\n")
                .append("cnf generate --model ").append(name).append("@").append(version)
                .append(" --condition-image condition.png --prompt \"...\" --out samples/\n```\n\n");
        tables(md, card, preset, condition);
        evaluation(md, metrics, decision);
        notes(md, card);
        return md.toString();
    }

    private static void tables(StringBuilder md, Map<String, Object> card, String preset, String condition) {
        md.append("## Base model\n\n| | |\n|---|---|\n")
                .append(row("base model", card.get("baseModel")))
                .append(row("base model SHA-256", card.get("baseModelSha256")))
                .append(row("model config", preset)).append('\n');
        md.append("## Data\n\n| | |\n|---|---|\n")
                .append(row("images seen", card.get("imagesSeen")))
                .append(row("images kept", card.get("imagesKept")))
                .append(row("captioner", card.get("captioner")))
                .append(row("condition", condition))
                .append(row("conditions", card.getOrDefault("conditionSource", "extracted")))
                .append(row("resolution", card.get("resolution")))
                .append(row("aspect buckets", card.getOrDefault("aspectBuckets", "off"))).append('\n');
        md.append("## Training\n\n| | |\n|---|---|\n")
                .append(row("steps", card.get("trainSteps")))
                .append(row("mode", card.getOrDefault("trainingMode", "default")))
                .append(row("batch size", card.get("batchSize")))
                .append(row("augmentation", card.getOrDefault("augment", "none")))
                .append(row("learning rate", card.get("learningRate")))
                .append(row("prompts trained as empty", card.get("promptDropout")))
                .append(row("joins (1x1 convolutions) initialised", card.get("zeroConvInit")))
                .append(row("hint encoder", "paper".equals(card.get("hintEncoder"))
                        ? "the paper's (four 4x4 convolutions, ReLU; diffusers cannot load it)" : "diffusers' (3x3 convolutions, SiLU)"))
                .append(row("seed", card.get("seed")))
                .append(row("published weights", card.get("publishedCheckpoint")))
                .append(row("final loss", card.get("finalLoss")))
                .append(row("sudden convergence (detected step)", card.get("convergedStep") == null ? "not detected" : card.get("convergedStep")))
                .append(row("steps skipped as non-finite (loss or gradients; see report)", card.get("skippedSteps")))
                .append(row("workflow", card.get("workflowId") + " / " + card.get("runId"))).append('\n');
    }

    private static void evaluation(StringBuilder md, Map<String, Object> metrics, PublishActivitiesImpl.Decision decision) {
        md.append("## Evaluation (held-out conditions, never trained on)\n\n")
                .append("Sampler: DDIM ").append(metrics.get("ddimSteps")).append(" steps, CFG ").append(metrics.get("guidanceScale"))
                .append(", control scale ").append(metrics.get("controlScale")).append(", seed ").append(metrics.get("seed"))
                .append(", ").append(metrics.get("samples")).append(" conditions.\n\n")
                .append("| prompt mode | edge F1 | edge SSIM |\n|---|---|---|\n");
        if (metrics.get("promptModes") instanceof Map<?, ?> modes) {
            modes.forEach((mode, m) -> {
                Map<?, ?> values = (Map<?, ?>) m;
                md.append("| ").append(mode).append(" | ").append(fmt(values.get("edgeF1"))).append(" | ").append(fmt(values.get("edgeSSIM"))).append(" |\n");
            });
        }
        md.append("| no control (floor), automatic | ").append(fmt(metrics.get("edgeF1NoControl"))).append(" | |\n\n");
        for (String[] m : new String[][] {{"depthRMSE", "depth RMSE (0-255, lower is better)"}, {"segMIoU", "segmentation mIoU (ADE20K)"}}) {
            if (metrics.get(m[0]) != null) {
                md.append("Re-extracted with the run's annotator model: ").append(m[1]).append(" ").append(fmt(metrics.get(m[0])))
                        .append(" with control, ").append(fmt(metrics.get(m[0] + "NoControl"))).append(" without (automatic prompts).\n\n");
            }
        }
        if (decision.previousVersion() != null && decision.previousValue() != null && !decision.previousValue().isNaN()) {
            md.append("Previous latest: ").append(decision.previousVersion()).append(" with ").append(decision.metric().label())
                    .append(" ").append(fmt(decision.previousValue())).append(".\n\n");
        }
    }

    private static void notes(StringBuilder md, Map<String, Object> card) {
        if (text(card, "trainingMode").startsWith("large")) {
            md.append("Large-scale mode: the base UNet trained jointly with this ControlNet is `").append(ModelRegistry.BASE_UNET_FILE)
                    .append("`; use it in place of the base model's UNet, the ControlNet expects it.\n\n");
        }
        if (card.get("originalLayoutFile") != null) {
            md.append("`").append(card.get("originalLayoutFile")).append("` holds the same weights in ControlNet's original single-file layout ")
                    .append("(`control_model.*` keys), for tools that load lllyasviel's releases.\n\n");
        } else if (card.get("originalLayoutSkipped") != null) {
            md.append("No original-layout single file: ").append(card.get("originalLayoutSkipped")).append(".\n\n");
        }
        md.append("## Files\n\n`report.html` (the full evaluation report), `metrics.json`, `model_card.json`, `training_data.jsonl` (source URL, "
                        + "SHA-256 and caption of every training image); `SHA256SUMS` lists every file's ")
                .append("SHA-256 (`sha256sum -c SHA256SUMS`), and `manifest.json`, written last, lists them all.\n\n");
        md.append("## License\n\nThe weights derive from the base model and from the ingested images: their licenses apply. ")
                .append("Check both before distributing.\n");
    }

    private static String row(String key, Object value) {
        return "| " + key + " | " + (value == null ? "" : String.valueOf(value).replace("|", "\\|")) + " |\n";
    }

    private static String text(Map<String, Object> card, String key) {
        Object v = card.get(key);
        return v == null ? "" : String.valueOf(v);
    }

    private static String fmt(Object v) {
        if (v == null) {
            return "";
        }
        try {
            return String.format("%.3f", Double.parseDouble(String.valueOf(v)));
        } catch (NumberFormatException e) {
            return String.valueOf(v);
        }
    }

    private static String yaml(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
