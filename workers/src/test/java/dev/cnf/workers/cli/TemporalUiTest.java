package dev.cnf.workers.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.datasets.GalleryServer;
import dev.cnf.model.Prerequisites;
import dev.cnf.workers.WorkerHost;
import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workers.embedded.EmbeddedTemporal;
import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.pipeline.PipelineResult;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An operator starts the pipeline from the Temporal Web UI: headless Chromium (Debian's), driven by playwright-core,
 * fills the UI's own start-workflow form with input {} plus small overrides, sees the run complete on its page, and
 * reads the status query in the UI. Screenshots of each step: target/ui-test/.
 */
class TemporalUiTest {
    static final Path UI_SCRIPTS = Path.of("src", "test", "ui").toAbsolutePath();

    @Test
    @Tag("e2e")
    void aRunStartedFromTheWebUiCompletesAndShowsItsStatus(@TempDir Path dir) throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        Prerequisites.require(Files.isExecutable(chromium), "Debian's chromium");
        Prerequisites.require(Files.isDirectory(UI_SCRIPTS.resolve("node_modules").resolve("playwright-core")),
                "node and playwright-core in workers/src/test/ui (npm ci)");
        try (EmbeddedTemporal temporal = EmbeddedTemporal.startServer(DurableDemoTest.serverBinary(), dir.resolve("temporal"));
             EmbeddedS3 s3 = EmbeddedS3.start(dir);
             GalleryServer gallery = GalleryServer.start(8, 96, 11)) {
            ObjectStore store = new ObjectStore(s3.config("from-ui"));
            store.ensureBucket();
            WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(
                    WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
            WorkflowClient client = WorkflowClient.newInstance(service);
            // the workers' default source is the gallery, so the UI's input needs no sources: {} with speed-ups
            try (WorkerHost worker = new WorkerHost(client, store, new WorkerHost.Settings(Set.of(TaskQueues.CPU, TaskQueues.GPU),
                    List.of(gallery.url()), Set.of(gallery.hostPort()), 2, 1))) {
                worker.start();
                Path shots = Path.of("target", "ui-test").toAbsolutePath();
                Files.deleteIfExists(Path.of("target", "ui-test.log"));
                String input = "{\"trainSteps\": 4, \"batchSize\": 4, \"evalSamples\": 1, \"evalSteps\": 2, \"probeEvery\": 2, \"baseModel\": \"random\"}";
                Process ui = new ProcessBuilder("node", UI_SCRIPTS.resolve("start-workflow.mjs").toString(), "--ui", temporal.uiUrl(),
                        "--workflow-id", "started-in-the-ui", "--task-queue", TaskQueues.CPU, "--workflow-type", "PipelineWorkflow",
                        "--input", input, "--screenshots", shots.toString(), "--chromium", chromium.toString())
                        .redirectError(ProcessBuilder.Redirect.appendTo(Path.of("target", "ui-test.log").toFile())).start();
                String out = new String(ui.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                assertTrue(ui.waitFor(10, TimeUnit.MINUTES));
                assertEquals(0, ui.exitValue(), "the UI steps failed; see target/ui-test.log and " + shots + ": " + out);

                PipelineResult r = client.newUntypedWorkflowStub("started-in-the-ui").getResult(1, TimeUnit.MINUTES, PipelineResult.class);
                assertEquals(4, r.trainSteps(), "the UI's input reached the run");
                assertTrue(store.exists("models/controlnet-canny/" + r.version() + "/manifest.json"), "published with the default name");
                JsonNode shown = new ObjectMapper().readTree(out.substring(out.lastIndexOf('\n') + 1));
                String query = shown.get("query").asText();
                assertTrue(query.contains("\"summary\"") && query.contains("\"done\"") && query.contains(r.modelUri()),
                        "the UI shows the status query's answer: " + query);
                assertTrue(Files.size(shots.resolve("2-completed.png")) > 10_000, "a screenshot of the finished run");
            } finally {
                service.shutdownNow();
            }
        }
    }
}
