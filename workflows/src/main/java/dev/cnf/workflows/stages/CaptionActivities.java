package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import dev.cnf.workflows.spec.CaptionSpec;
import dev.cnf.workflows.spec.ModelSpec;
import dev.cnf.workflows.spec.RunContext;

import java.util.Map;

/** Gives every sample a caption. */
@ActivityInterface
public interface CaptionActivities {
    /** @param model decides the text encoder whose token limit captions must fit (a Stable Diffusion base's CLIP tokenizer counts) */
    record Request(RunContext run, String samplesKey, CaptionSpec caption, ModelSpec model) {}

    /**
     * @param bySource  captions per source (alt, template, csv, openai, model, none)
     * @param truncated captions cut at a word boundary to fit the text encoder
     */
    record Result(int captioned, String samplesKey, Map<String, Integer> bySource, int truncated) {}

    @ActivityMethod
    Result caption(Request request);
}
