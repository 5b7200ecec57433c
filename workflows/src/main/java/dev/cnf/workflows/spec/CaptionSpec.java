package dev.cnf.workflows.spec;

import java.util.List;

/**
 * How every sample gets its caption. Null means the default.
 *
 * @param captioner     "alt" (alt text, else the default prompt), "template" (always the default prompt), "none" (""),
 *                      "csv" (captionsFile), "openai" (the workers' OpenAI-compatible endpoint) or "model" (captionModel)
 * @param defaultPrompt the paper's default prompt: the template caption, and the evaluation's "default" prompt mode
 * @param captionsFile  the csv captioner's CSV/TSV/JSONL (columns url or file, and caption), s3://bucket/key or a worker path
 * @param captionModel  the model captioner's folder (encoder.pt, decoder.pt, vocab.txt, captioner.json), s3://bucket/prefix/ or a worker path
 * @param captionBeams  the model captioner's beam width; 1 decodes greedily
 */
public record CaptionSpec(String captioner, String defaultPrompt, String captionsFile, String captionModel, Integer captionBeams) {
    public static final String DEFAULT_PROMPT = "a professional, detailed, high-quality image";
    public static final List<String> CAPTIONERS = List.of("alt", "template", "none", "csv", "openai", "model");

    public CaptionSpec {
        captioner = Checks.blank(captioner) ? "alt" : captioner;
        defaultPrompt = defaultPrompt == null ? DEFAULT_PROMPT : defaultPrompt;
        captionsFile = Checks.stripped(captionsFile);
        captionModel = Checks.stripped(captionModel);
        captionBeams = captionBeams == null ? 1 : captionBeams;
    }

    public static CaptionSpec defaults() {
        return new CaptionSpec(null, null, null, null, null);
    }

    public void addProblems(List<String> p) {
        Checks.oneOf(p, "captioner", captioner, CAPTIONERS);
        if (captioner.equals("csv") && captionsFile.isEmpty()) {
            p.add("captionsFile: the csv captioner needs a CSV/TSV/JSONL of captions (columns url or file, and caption), as s3://bucket/key or a worker path");
        }
        if (captioner.equals("model") && captionModel.isEmpty()) {
            p.add("captionModel: the model captioner needs a folder with encoder.pt, decoder.pt, vocab.txt and captioner.json");
        }
        Checks.range(p, "captionBeams", captionBeams, 1, 16);
        Checks.location(p, "captionsFile", captionsFile);
        Checks.location(p, "captionModel", captionModel);
    }
}
