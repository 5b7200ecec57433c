package dev.cnf.workers.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.workflows.pipeline.PipelineStatus;
import dev.cnf.workflows.pipeline.PipelineWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** Answers from the workflow's status query, plus the in-flight activity's heartbeat. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show a pipeline run's stage and progress.")
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    Connection connection;

    @Parameters(index = "0", paramLabel = "WORKFLOW_ID")
    String workflowId;

    @Option(names = "--json", description = "print machine-readable JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        WorkflowServiceStubs service = connection.connect();
        try {
            WorkflowClient client = connection.client(service);
            PipelineStatus st = client.newWorkflowStub(PipelineWorkflow.class, workflowId).status();
            if (json) {
                System.out.println(new ObjectMapper().writeValueAsString(st));
                return 0;
            }
            System.out.println("workflow " + st.workflowId() + " version " + st.version());
            st.completed().forEach(l -> System.out.println("  done  " + l));
            System.out.println("  stage " + st.summary() + (st.paused() ? " (paused; `cnf resume " + workflowId + "` continues)" : "")
                    + Progress.heartbeat(client, workflowId));
            if (st.dataset() != null && st.dataset().shardsCleaned() < st.dataset().shards()) {
                var d = st.dataset();
                System.out.println("  data  " + bar(d.shardsCleaned(), d.shards()));
            }
            if (st.dataset() != null) {
                var d = st.dataset();
                System.out.printf("  data  shards %d/%d fetched, %d/%d cleaned; %d of %d references seen, %d fetched (%.1f MB), %d candidates, %d dropped%n",
                        d.shardsFetched(), d.shards(), d.shardsCleaned(), d.shards(), d.seen(), d.refs(), d.fetched(), d.bytes() / 1e6,
                        d.candidates(), d.dropped());
            }
            if (st.training() != null) {
                var t = st.training();
                System.out.println("  train " + bar(t.step(), st.schedule().trainSteps()));
                System.out.printf("  train step %d/%d, loss %.4f, %.2f steps/s, ETA %s, last checkpoint %s%n", t.step(), st.schedule().trainSteps(), t.loss(),
                        t.stepsPerSecond(), java.time.Duration.ofSeconds(Math.round(t.etaSeconds())).toString().substring(2).toLowerCase(),
                        t.lastCheckpointKey() == null ? "none yet" : t.lastCheckpointKey());
                System.out.printf("  train settings (cnf update): %d steps, probe every %d, %s%n", st.schedule().trainSteps(), st.schedule().probeEvery(),
                        st.schedule().evalEvery() == null || st.schedule().evalEvery() == 0 ? "no evaluation during training" : "evaluate every " + st.schedule().evalEvery());
            }
            if (st.cancelReason() != null) {
                System.out.println("  cancel requested: " + st.cancelReason());
            }
            if (st.error() != null) {
                System.out.println("  error " + st.error());
            }
            if (st.modelUri() != null) {
                System.out.println("  model " + st.modelUri());
                System.out.println("  report " + st.reportUri());
            }
            return 0;
        } finally {
            service.shutdownNow();
        }
    }

    /** A 30-character progress bar with the percentage, e.g. "[#########.....................]  30%". */
    static String bar(int done, int total) {
        double f = total <= 0 ? 0 : Math.min(1, Math.max(0, done / (double) total));
        int filled = (int) Math.round(f * 30);
        return "[" + "#".repeat(filled) + ".".repeat(30 - filled) + "] " + String.format("%3d%%", Math.round(f * 100));
    }
}
