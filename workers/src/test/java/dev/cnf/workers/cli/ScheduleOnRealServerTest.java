package dev.cnf.workers.cli;

import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.datasets.GalleryServer;
import dev.cnf.workers.WorkerHost;
import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workers.embedded.EmbeddedTemporal;
import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.pipeline.PipelineResult;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.cnf.workers.cli.ClusterModeTest.cli;
import static org.junit.jupiter.api.Assertions.*;

/** `cnf schedule` against the real Temporal server (the demo's): Temporal Schedules, no cron fallback. */
class ScheduleOnRealServerTest {
    @Test
    @Tag("e2e")
    void aScheduleListsItsNextRunAndATriggeredRunPassesThePromotionGate(@TempDir Path dir) throws Exception {
        try (EmbeddedTemporal temporal = EmbeddedTemporal.startServer(DurableDemoTest.serverBinary(), dir.resolve("temporal"));
             EmbeddedS3 s3 = EmbeddedS3.start(dir);
             GalleryServer gallery = GalleryServer.start(8, 96, 5)) {
            String t = temporal.target();
            ObjectStore store = new ObjectStore(s3.config("scheduled"));
            store.ensureBucket();
            WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(t).build());
            WorkflowClient client = WorkflowClient.newInstance(service);
            try (WorkerHost worker = new WorkerHost(client, store, new WorkerHost.Settings(Set.of(TaskQueues.CPU, TaskQueues.GPU),
                    List.of(), Set.of(gallery.hostPort()), 2, 1))) {
                worker.start();
                String[] created = cli("schedule", "create", "weekly", "--cron", "0 3 * * 1", "--temporal", t,
                        "--set", "name=scheduled", "--set", "sources=[\"" + gallery.url() + "\"]", "--set", "trainSteps=4", "--set", "batchSize=4",
                        "--set", "evalSamples=1", "--set", "evalSteps=2", "--set", "probeEvery=2", "--set", "baseModel=random");
                assertEquals("0", created[0], created[1]);
                assertFalse(created[1].contains("no Schedules API"), "the real server has Schedules: " + created[1]);
                assertTrue(created[1].contains("schedule weekly created"), created[1]);

                String[] listed = cli("schedule", "ls", "--temporal", t);
                assertEquals("0", listed[0], listed[1]);
                // the next Monday 03:00 UTC (the list answers from the server's visibility store, which lags a moment)
                long deadline = System.currentTimeMillis() + 30_000;
                while (!listed[1].matches("(?s).*weekly\\s+\\[\\S*T03:00:00Z.*")) {
                    assertTrue(System.currentTimeMillis() < deadline, "no next fire time listed: " + listed[1]);
                    Thread.sleep(500);
                    listed = cli("schedule", "ls", "--temporal", t);
                }

                String[] triggered = cli("schedule", "trigger", "weekly", "--temporal", t);
                assertEquals("0", triggered[0], triggered[1]);
                String runId = scheduledRun(service, "cnf-weekly");
                PipelineResult r = client.newUntypedWorkflowStub(runId).getResult(5, TimeUnit.MINUTES, PipelineResult.class);
                assertTrue(r.promoted(), r.promotionDecision());
                assertTrue(r.promotionDecision().startsWith("first published version of scheduled"), "the promotion gate decided: " + r.promotionDecision());
                assertTrue(store.exists("models/scheduled/" + r.version() + "/manifest.json"));

                assertEquals("0", cli("schedule", "delete", "weekly", "--temporal", t)[0]);
                assertEquals("2", cli("schedule", "trigger", "weekly", "--temporal", t)[0], "a deleted schedule is gone");
            } finally {
                service.shutdownNow();
            }
        }
    }

    /** The workflow id of the run a schedule started: its workflow id prefix, then the time it was scheduled for. */
    static String scheduledRun(WorkflowServiceStubs service, String prefix) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            List<WorkflowExecutionInfo> runs = service.blockingStub().listWorkflowExecutions(ListWorkflowExecutionsRequest.newBuilder()
                    .setNamespace("default").setQuery("WorkflowType = 'PipelineWorkflow'").build()).getExecutionsList();
            for (WorkflowExecutionInfo run : runs) {
                if (run.getExecution().getWorkflowId().startsWith(prefix)) {
                    return run.getExecution().getWorkflowId();
                }
            }
            assertTrue(System.currentTimeMillis() < deadline, "the schedule started no run: " + runs);
            Thread.sleep(500);
        }
    }
}
