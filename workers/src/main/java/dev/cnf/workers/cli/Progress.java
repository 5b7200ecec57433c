package dev.cnf.workers.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cnf.workflows.pipeline.PipelineResult;
import dev.cnf.workflows.pipeline.PipelineStatus;
import dev.cnf.workflows.pipeline.PipelineWorkflow;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflow.v1.PendingChildExecutionInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.temporal.common.converter.DefaultDataConverter;

import java.io.PrintStream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Follows a pipeline run: prints each finished stage from the {@code status} query and, for the
 * stage in flight, the latest heartbeat of its activity (the training step, loss, rate and ETA), in the run's
 * own history or its stage's child workflow. On a terminal that is one line rewritten in place; in a log, a plain
 * line when the stage changes and at most every 30 s while it runs.
 */
final class Progress {
    private Progress() {}

    /** Log lines within a stage at most this often (a terminal's live line updates every second). */
    static final long LOG_EVERY_NANOS = 30_000_000_000L;

    static PipelineResult follow(WorkflowClient client, String workflowId, PrintStream out) throws Exception {
        boolean live = out == System.out && System.console() != null;
        PipelineWorkflow wf = client.newWorkflowStub(PipelineWorkflow.class, workflowId);
        WorkflowStub untyped = WorkflowStub.fromTyped(wf);
        CompletableFuture<PipelineResult> result = untyped.getResultAsync(PipelineResult.class);
        int printed = 0;
        String lastLine = "";
        String lastStage = "";
        long lastPrint = 0;
        while (true) {
            PipelineResult done = null;
            try {
                done = result.get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                // still running: report progress below
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : e;
            }
            PipelineStatus st;
            try {
                st = wf.status();
            } catch (RuntimeException e) {
                if (done != null) {
                    return done;
                }
                continue; // the workflow may just be finishing
            }
            for (; printed < st.completed().size(); printed++) {
                out.print(live ? "\r\u001b[K" : ""); // the live line gives way to the finished stage
                out.println("  done  " + st.completed().get(printed));
                lastLine = "";
            }
            if (done != null) {
                return done;
            }
            long now = System.nanoTime();
            boolean newStage = !st.summary().equals(lastStage);
            if (live) {
                String line = "  ...   " + st.summary() + heartbeat(client, workflowId);
                if (!line.equals(lastLine)) {
                    out.print("\r\u001b[K" + line);
                    out.flush();
                    lastLine = line;
                }
            } else if (newStage || now - lastPrint > LOG_EVERY_NANOS) {
                String line = "  ...   " + st.summary() + heartbeat(client, workflowId);
                if (newStage || !line.equals(lastLine)) {
                    out.println(line);
                    lastLine = line;
                    lastPrint = now;
                }
            }
            lastStage = st.summary();
        }
    }

    /** "1h 02m", "3m 05s", "42s". */
    static String eta(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return s >= 3600 ? String.format("%dh %02dm", s / 3600, s % 3600 / 60) : s >= 60 ? String.format("%dm %02ds", s / 60, s % 60) : s + "s";
    }

    /**
     * The in-flight activity's last heartbeat, rendered briefly; empty when there is none. Stages run in child
     * workflows (and shards in grandchildren), so running children are looked into too.
     */
    static String heartbeat(WorkflowClient client, String workflowId) {
        try {
            return heartbeat(client, workflowId, 2);
        } catch (RuntimeException e) {
            return ""; // progress detail is best effort
        }
    }

    private static String heartbeat(WorkflowClient client, String workflowId, int childLevels) {
        var resp = client.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
                DescribeWorkflowExecutionRequest.newBuilder().setNamespace(client.getOptions().getNamespace())
                        .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId).build()).build());
        for (PendingActivityInfo a : resp.getPendingActivitiesList()) {
            if (!a.hasHeartbeatDetails()) {
                continue;
            }
            JsonNode d = DefaultDataConverter.STANDARD_INSTANCE.fromPayloads(0, Optional.of(a.getHeartbeatDetails()), JsonNode.class, JsonNode.class);
            if (d != null && d.has("step")) {
                double rate = d.path("stepsPerSecond").asDouble();
                return String.format(" step %d/%d loss %.4f", d.get("step").asInt(), d.get("totalSteps").asInt(), d.get("loss").asDouble())
                        + (rate > 0 ? String.format(", %.1f steps/s, ETA %s", rate, eta(d.path("etaSeconds").asDouble())) : "");
            }
            if (d != null && d.isNumber()) {
                return " (" + d.asInt() + " items)";
            }
        }
        if (childLevels > 0) {
            for (PendingChildExecutionInfo child : resp.getPendingChildrenList()) {
                String found = heartbeat(client, child.getWorkflowId(), childLevels - 1);
                if (!found.isEmpty()) {
                    return found;
                }
            }
        }
        return "";
    }
}
