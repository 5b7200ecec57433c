package dev.cnf.activities.caption;

import dev.cnf.activities.models.OpenAiConfig;

import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.storage.Locations;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.text.ClipTokenizer;
import dev.cnf.workflows.spec.ModelSpec;
import dev.cnf.workflows.stages.CaptionActivities;
import io.temporal.activity.Activity;
import io.temporal.failure.ApplicationFailure;
import org.jsoup.Jsoup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Captions every sample with the chosen captioner: {@code alt} (the page's alt text, cleaned of markup,
 * else the default prompt), {@code template} (the paper's default prompt), {@code none} (""), {@code csv}
 * (the user's captions by URL or file name, else the default prompt), {@code openai} (an OpenAI-compatible
 * endpoint with image input, configured on the worker; an image it refuses gets the default prompt) or
 * {@code model} (a TorchScript or ONNX encoder-decoder, see {@link ModelCaptioner}). Captions are then fitted to
 * the text encoder's token limit, cut at a word boundary and flagged when longer. An imported pair's own caption is kept
 * as given (fitted the same way) with any captioner but {@code none}, the no-prompt training mode.
 */
public class CaptionActivitiesImpl implements CaptionActivities {
    private final ObjectStore store;
    private final OpenAiConfig openAi;

    public CaptionActivitiesImpl(ObjectStore store, OpenAiConfig openAi) {
        this.store = store;
        this.openAi = openAi;
    }

    /** Alt texts that say nothing about the picture (CMS defaults, link labels). */
    private static final java.util.Set<String> BOILERPLATE = java.util.Set.of("image", "img", "photo", "picture", "pic", "thumbnail",
            "thumb", "logo", "icon", "banner", "untitled", "placeholder", "click to enlarge", "click here", "enlarge", "zoom",
            "view image", "featured image", "alt", "null", "undefined", "no image", "image not found", "spacer");

    /**
     * Alt text as plain text: entities decoded, tags removed, whitespace collapsed; boilerplate (a file name,
     * "image", "click to enlarge", only digits and punctuation...) becomes "" so the default prompt is used.
     */
    public static String cleanAltText(String alt) {
        String text = alt == null ? "" : Jsoup.parse(alt).text().replaceAll("\\s+", " ").strip();
        String lower = text.toLowerCase(java.util.Locale.ROOT).replaceAll("[.!:]+$", "");
        if (BOILERPLATE.contains(lower) || lower.matches("[\\p{Punct}\\d\\s_-]*")
                || lower.matches("[\\w\\-. ]+\\.(jpe?g|png|gif|webp|bmp|tiff?|svg)")
                || lower.matches("(img|dsc|dscn|pxl|image|photo)[_ -]?\\d+.*")) {
            return "";
        }
        return text;
    }

    /**
     * The token limit captions are fitted to: the tiny preset's hashing encoder counts words (77 at most); a
     * Stable Diffusion base counts its own CLIP tokenizer's BPE tokens plus start and end (77), read from the
     * folder's tokenizer/ alone (two small files, not the weights).
     */
    CaptionLimit limitFor(ModelSpec model) {
        String baseModel = model.baseModel();
        if (!model.stableDiffusion() || baseModel.isBlank()) {
            return CaptionLimit.words(77);
        }
        StableDiffusionConfig sd = StableDiffusionConfig.preset(model.modelConfig());
        int context = sd.textEncoder().maxPositionEmbeddings();
        if (baseModel.equals("random")) {
            return CaptionLimit.clip(ClipTokenizer.byteLevel(sd.textEncoder().bosTokenId(), sd.textEncoder().eosTokenId(), context), context);
        }
        String base = baseModel.endsWith("/") ? baseModel : baseModel + "/";
        try {
            return CaptionLimit.clip(ClipTokenizer.parse(Locations.read(base + "tokenizer/vocab.json", store),
                    new String(Locations.read(base + "tokenizer/merges.txt", store), StandardCharsets.UTF_8), context), context);
        } catch (IOException e) {
            throw ApplicationFailure.newNonRetryableFailure("baseModel " + base + ": unreadable tokenizer: " + e.getMessage(), "InvalidInput");
        }
    }

    @Override
    public Result caption(Request r) {
        String captioner = r.caption().captioner();
        CsvCaptions csv = null;
        OpenAiCaptioner remote = null;
        ModelCaptioner model = null;
        try {
            switch (captioner) {
                case "csv" -> {
                    byte[] file = Locations.read(r.caption().captionsFile(), store);
                    csv = new CsvCaptions(r.caption().captionsFile(), new String(file, StandardCharsets.UTF_8));
                }
                case "openai" -> remote = new OpenAiCaptioner(openAi);
                case "model" -> model = ModelCaptioner.load(r.caption().captionModel(), store, r.caption().captionBeams());
                default -> { }
            }
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), "InvalidInput");
        }
        CaptionLimit limit = limitFor(r.model());
        List<Sample> out = new ArrayList<>();
        Map<String, Integer> bySource = new TreeMap<>();
        int truncated = 0;
        try {
            for (Sample s : SampleTables.read(store, r.samplesKey())) {
                Activity.getExecutionContext().heartbeat(out.size());
                String text;
                String source;
                if (s.givenCaption() && !captioner.equals("none")) {
                    text = s.caption(); // an imported pair's own caption: the captioner runs only where none was given
                    source = "given";
                } else switch (captioner) {
                    case "none" -> {
                        text = ""; // the paper's "no prompt" training mode
                        source = "none";
                    }
                    case "alt" -> {
                        String alt = cleanAltText(s.altText());
                        text = alt.isEmpty() ? r.caption().defaultPrompt() : alt;
                        source = alt.isEmpty() ? "template" : "alt";
                    }
                    case "csv" -> {
                        String given = csv.find(s.sourceUrl());
                        text = given == null || given.isBlank() ? r.caption().defaultPrompt() : given.strip();
                        source = given == null || given.isBlank() ? "template" : "csv";
                    }
                    case "openai" -> {
                        String given;
                        try {
                            given = remote.caption(store.get(s.imageKey()));
                        } catch (OpenAiCaptioner.Refused refused) {
                            given = null;
                        }
                        text = given == null ? r.caption().defaultPrompt() : given;
                        source = given == null ? "template" : "openai";
                    }
                    case "model" -> {
                        text = model.caption(store.get(s.imageKey()));
                        source = "model";
                    }
                    default -> {
                        text = r.caption().defaultPrompt();
                        source = "template";
                    }
                }
                CaptionLimit.Fitted fitted = limit.fit(text);
                truncated += fitted.truncated() ? 1 : 0;
                bySource.merge(source, 1, Integer::sum);
                out.add(s.withCaption(fitted.text(), source, fitted.truncated()));
            }
        } finally {
            if (model != null) {
                model.close();
            }
        }
        String key = r.run().prefix() + "/caption/samples.jsonl";
        SampleTables.write(store, key, out);
        return new Result(out.size(), key, bySource, truncated);
    }
}
