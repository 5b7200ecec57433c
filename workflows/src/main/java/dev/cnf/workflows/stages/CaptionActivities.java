package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.Map;

/** Gives every sample a caption. */
@ActivityInterface
public interface CaptionActivities {
    /**
     * @param captioner    alt, template, none, csv, openai or model
     * @param captionsFile the csv captioner's file (s3://bucket/key or a worker path); null otherwise
     * @param captionModel the model captioner's folder (s3://bucket/prefix/ or a worker path); null otherwise
     * @param beams        the model captioner's beam width (1 = greedy)
     * @param modelConfig  decides the text encoder whose token limit captions must fit
     * @param baseModel    a Stable Diffusion preset's base folder, whose CLIP tokenizer counts the tokens
     */
    record Request(String runPrefix, String samplesKey, String captioner, String defaultPrompt, String captionsFile,
                   String captionModel, Integer beams, String modelConfig, String baseModel) {}

    /**
     * @param bySource  captions per source (alt, template, csv, openai, model, none)
     * @param truncated captions cut at a word boundary to fit the text encoder
     */
    record Result(int captioned, String samplesKey, Map<String, Integer> bySource, int truncated) {}

    @ActivityMethod
    Result caption(Request request);
}
