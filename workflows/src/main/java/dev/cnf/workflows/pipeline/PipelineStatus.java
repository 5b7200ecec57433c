package dev.cnf.workflows.pipeline;

import java.util.List;

/**
 * What the {@code status} query answers.
 *
 * @param stage     the stage running now, or "done" / "failed"
 * @param completed one line per finished stage, e.g. "clean: kept 40 of 46 (DUPLICATE=2, TOO_SMALL=4)"
 */
public record PipelineStatus(String workflowId, String version, String stage, List<String> completed,
                             String reportUri, String modelUri, String error) {}
