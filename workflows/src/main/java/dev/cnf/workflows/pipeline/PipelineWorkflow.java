package dev.cnf.workflows.pipeline;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** The whole factory: ingest → clean → caption → condition → train → evaluate → publish. */
@WorkflowInterface
public interface PipelineWorkflow {
    @WorkflowMethod
    PipelineResult run(PipelineInput input);

    @QueryMethod
    PipelineStatus status();
}
