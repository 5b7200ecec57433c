package dev.cnf.workers;

import dev.cnf.activities.registry.ModelRegistry;

import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.publish.PublishActivitiesImpl;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.datasets.GalleryServer;
import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.pipeline.PipelineResult;
import dev.cnf.workflows.pipeline.PipelineStatus;
import dev.cnf.workflows.pipeline.PipelineWorkflow;
import dev.cnf.workflows.pipeline.Stage;
import dev.cnf.workflows.pipeline.StudyInput;
import dev.cnf.workflows.pipeline.StudyWorkflow;
import dev.cnf.workflows.spec.RunContext;
import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.EvaluateActivities;
import dev.cnf.workflows.stages.PublishActivities;
import dev.cnf.workflows.stages.StudyActivities;
import dev.cnf.workflows.stages.TrainActivities;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The workflow on Temporal's test environment with the real activities, a real gallery and S3Proxy. */
class PipelineWorkflowTest {
    /**
     * The tests whose promises are bitwise or numeric: they run again with oneDNN held to AVX2 kernels (workers/pom.xml),
     * where other CPUs' code paths show.
     */
    static final String BITWISE = "bitwise";

    @TempDir
    static Path dataDir;
    static EmbeddedS3 s3;
    static GalleryServer gallery;
    static GalleryServer newGallery;
    static ObjectStore store;
    static TestWorkflowEnvironment env;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        s3 = EmbeddedS3.start(dataDir);
        gallery = GalleryServer.start(12, 96, 5);
        newGallery = GalleryServer.start(6, 96, 77); // other circles: "new data" for the retraining test
        store = new ObjectStore(s3.config("cnf-test"));
        store.ensureBucket();
        env = TestWorkflowEnvironment.newInstance();
        WorkerHost.register(env.newWorker(TaskQueues.CPU, WorkerHost.options(2)), env.newWorker(TaskQueues.GPU, WorkerHost.options(1)), store,
                new WorkerHost.Settings(Set.of(TaskQueues.CPU, TaskQueues.GPU), List.of(gallery.url()),
                        Set.of(gallery.hostPort(), newGallery.hostPort()), 2, 1),
                env.getWorkflowClient());
        // A second queue family on the same namespace, as another team or environment would run it.
        WorkerHost.register(env.newWorker(TEAM_CPU, WorkerHost.options(2)), env.newWorker(TEAM_GPU, WorkerHost.options(1)), store,
                new WorkerHost.Settings(Set.of(TEAM_CPU, TEAM_GPU), List.of(gallery.url()), Set.of(gallery.hostPort()), 2, 1),
                env.getWorkflowClient());
        env.start();
    }

    static final String TEAM_CPU = "team-a-cpu";
    static final String TEAM_GPU = "team-a-gpu";

    /**
     * With -Dcnf.recordHistories=DIR, the histories of finished runs are written to DIR for
     * {@code WorkflowReplayTest} (commit them when workflow code changes on purpose, behind Workflow.getVersion).
     */
    static void recordHistory(String workflowId) throws java.io.IOException {
        String dir = System.getProperty("cnf.recordHistories", "");
        if (!dir.isBlank()) {
            java.nio.file.Files.createDirectories(Path.of(dir));
            java.nio.file.Files.writeString(Path.of(dir, workflowId.replace('/', '-') + ".json"),
                    env.getWorkflowClient().fetchHistory(workflowId).toJson(true));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
        gallery.close();
        newGallery.close();
        s3.close();
    }

    static PipelineInput small(String version) {
        // shards of 8 references, 2 in flight: the chain crosses shard boundaries and runs shards in parallel
        return Inputs.of("name", "circles", "resolution", 64, "trainSteps", 12, "batchSize", 4, "learningRate", 1e-3, "seed", 3,
                "checkpointEvery", 5, "evalSamples", 2, "evalSteps", 3, "probeEvery", 6, "version", version, "shardSize", 8, "parallelShards", 2);
    }

    static PipelineWorkflow stub(String id) {
        return env.getWorkflowClient().newWorkflowStub(PipelineWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.CPU).setWorkflowId(id).build());
    }

    @Test
    @SuppressWarnings("unchecked")
    void wholeChainPublishesAChecksummedModelAndAccountsForEveryDrop() throws Exception {
        PipelineWorkflow wf = stub("wf-chain");
        PipelineResult r = wf.run(small(""));

        int bad = GalleryServer.EXPECTED_DROPS.size();
        assertEquals(gallery.goodImages() + bad, r.imagesSeen(), "every <img> found is counted");
        assertEquals(gallery.goodImages(), r.imagesKept(), "all good images survive cleaning");
        assertEquals(12, r.trainSteps());
        assertTrue(Double.isFinite(r.finalLoss()));
        assertTrue(r.edgeF1() >= 0 && r.edgeF1() <= 1);
        assertTrue(r.modelUri().startsWith("s3://cnf-test/models/circles/" + r.version() + "/"));

        String run = "runs/wf-chain/";
        Map<String, Object> clean = Json.read(store.get(onlyKey(run, "/clean/report.json")), Map.class);
        Map<String, Integer> cleanDrops = (Map<String, Integer>) clean.get("dropped");
        Map<String, Integer> expected = new java.util.TreeMap<>();
        GalleryServer.EXPECTED_DROPS.values().forEach(reason -> expected.merge(reason, 1, Integer::sum));
        assertEquals(expected, cleanDrops, "one report counts the drops of every stage");
        assertEquals(r.imagesSeen(), (Integer) clean.get("kept") + cleanDrops.values().stream().mapToInt(Integer::intValue).sum(),
                "seen = kept + dropped");
        for (Map<String, Object> drop : (List<Map<String, Object>>) clean.get("drops")) {
            String path = URI.create((String) drop.get("url")).getPath();
            assertEquals(GalleryServer.EXPECTED_DROPS.get(path), drop.get("reason"), "drop of " + path);
        }
        assertTrue(store.list(run).stream().filter(k -> k.contains("/ingest/refs/shard-")).count() > 1, "more than one shard");
        PipelineStatus.DatasetProgress progress = wf.status().dataset();
        assertEquals(progress.shards(), progress.shardsFetched());
        assertEquals(progress.shards(), progress.shardsCleaned());
        assertEquals(r.imagesSeen(), progress.seen());
        assertTrue(progress.bytes() > 0);
        assertTrue(wf.status().completed().stream().anyMatch(l -> l.equals("condition: " + r.imagesKept()
                + " canny maps (" + r.imagesKept() + " made in the clean shards), dataset shards written")), wf.status().completed().toString());

        // the dataset as WebDataset shards, read back by the system's own tar
        List<Map<String, Object>> rows = Json.readLines(store.get(onlyKey(run, "/dataset/manifest.jsonl")), (Class<Map<String, Object>>) (Class<?>) Map.class);
        assertEquals(r.imagesKept(), rows.size());
        Path tarFile = dataDir.resolve("shard.tar");
        java.nio.file.Files.write(tarFile, store.get(onlyKey(run, "/dataset/shard-00000.tar")));
        Process tar = new ProcessBuilder("tar", "-tf", tarFile.toString()).redirectErrorStream(true).start();
        List<String> entries = new String(tar.getInputStream().readAllBytes()).lines().toList();
        assertEquals(0, tar.waitFor(), String.join("\n", entries));
        String key = (String) rows.get(0).get("key");
        // the training image as the clean stage stored it (imageFormat jpeg by default), the edge map lossless
        assertTrue(entries.containsAll(List.of(key + ".jpg", key + ".txt", key + ".json", key + ".canny.png")), entries.toString());
        assertEquals(4 * rows.size(), entries.size());

        List<Sample> samples = Json.readLines(store.get(onlyKey(run, "/condition/samples.jsonl")), Sample.class);
        assertEquals(gallery.goodImages(), samples.size());
        for (Sample s : samples) {
            assertTrue(s.caption().contains("circle with"), "alt text becomes the caption: " + s.caption());
            assertTrue(store.exists(s.conditionKey()));
            assertTrue(s.conditionParams().containsKey("low"));
            assertFalse(s.rawKey().contains("png"), "object keys are content hashes, not URL text");
        }
        assertFalse(store.list(run).stream().filter(k -> k.contains("/train/checkpoints/") && k.endsWith("state.json")).toList().isEmpty(),
                "at least one complete checkpoint in S3");

        String dir = "models/circles/" + r.version() + "/";
        Map<String, Object> manifest = Json.read(store.get(dir + "manifest.json"), Map.class);
        List<Map<String, Object>> files = (List<Map<String, Object>>) manifest.get("files");
        assertEquals(Set.of(ModelRegistry.WEIGHTS_FILE, "config.json", "README.md", "model_card.json", "report.html", "metrics.json",
                        "training_data.jsonl", PublishActivitiesImpl.SUMS_FILE),
                Set.copyOf(files.stream().map(f -> (String) f.get("path")).toList()));
        // the tiny preset's pooled-text embedding has no place in the original single-file layout: said, not hidden
        assertTrue(String.valueOf(manifest.get("originalLayoutSkipped")).contains("text_embedding"), manifest.toString());
        String sums = new String(store.get(dir + PublishActivitiesImpl.SUMS_FILE));
        for (Map<String, Object> f : files) {
            assertEquals(f.get("sha256"), ObjectStore.sha256(store.get(dir + f.get("path"))), "checksum of " + f.get("path"));
            if (!f.get("path").equals(PublishActivitiesImpl.SUMS_FILE)) {
                assertTrue(sums.contains(f.get("sha256") + "  " + f.get("path") + "\n"), "SHA256SUMS lists " + f.get("path"));
            }
        }
        assertEquals("latest", manifest.get("status"));
        Map<String, Object> diffusersConfig = Json.read(store.get(dir + "config.json"), Map.class);
        assertEquals("ControlNetModel", diffusersConfig.get("_class_name"));
        assertEquals(List.of(16, 32), diffusersConfig.get("conditioning_embedding_out_channels"));
        String card = new String(store.get(dir + "README.md"));
        assertTrue(card.startsWith("---\nlibrary_name: diffusers") && card.contains("license: other\nlicense_name: ")
                && card.contains("| automatic |") && card.contains("sudden convergence"), card);
        String frontMatter = card.substring(0, card.indexOf("\n---\n"));
        assertFalse(frontMatter.contains("base_model"), "cnf's own base is no Hub id: in the body, not the front matter");
        assertTrue(card.contains("on the base model **tiny-circles**"), card);
        Map<String, Object> typedCard = Json.read(store.get(dir + "model_card.json"), Map.class);
        assertTrue(typedCard.get("trainSteps") instanceof Number && typedCard.get("onlyNewData") instanceof Boolean
                && typedCard.get("edgeF1") instanceof Number, "model_card.json keeps numbers and booleans typed: " + typedCard);
        double finalLoss = ((Number) typedCard.get("finalLoss")).doubleValue();
        assertEquals(Math.round(finalLoss * 1e4) / 1e4, finalLoss, 0.0, "the final loss is rounded to 4 decimals");
        Map<String, Object> evalMetrics = Json.read(store.get(dir + "metrics.json"), Map.class);
        assertEquals(Set.of("none", "default", "automatic"), ((Map<String, Object>) evalMetrics.get("promptModes")).keySet(),
                "the paper's prompt modes; 'user' only with a user prompt");
        String report = new String(store.get(dir + "report.html"));
        assertTrue(report.contains("data:image/png;base64,") && report.contains("<svg"), "self-contained report with grid and loss curve");
        assertEquals(r.version(), Json.read(store.get("models/circles/latest.json"), Map.class).get("version"));

        PipelineStatus st = wf.status();
        assertEquals(Stage.DONE, st.state().stage());
        assertEquals("done", st.summary());
        assertEquals(7, st.completed().size());
        assertEquals(r.modelUri(), st.modelUri());
        recordHistory("wf-chain");
    }

    /** A publication of stored weights and evaluation outside a run: the facts a run would state, with defaults. */
    static PublishActivities.Request publication(String model, String version, String weightsKey, String configKey, String reportKey,
                                                 String evalMetricsKey, double promotionTolerance) {
        PipelineInput in = Inputs.of("name", model, "promotionTolerance", promotionTolerance);
        PublishActivities.RunFacts facts = new PublishActivities.RunFacts("wf-" + model, "run-" + version, in,
                new CleanActivities.Result(0, 0, Map.of(), null, null));
        TrainActivities.Result trained = new TrainActivities.Result(0, Double.NaN, weightsKey, configKey, null, List.of(), "", null, null, 0);
        EvaluateActivities.Result evaluated = new EvaluateActivities.Result(reportKey, evalMetricsKey, 0, 0, 0, null);
        return new PublishActivities.Request(new RunContext("runs/publication", model, in.seed()), version, facts, trained, evaluated, null, null);
    }

    @Test
    void publishingIsIdempotentAndNeverOverwritesAVersion() {
        PipelineResult first = stub("wf-publish").run(small("v-fixed"));
        String dir = "models/circles/v-fixed/";
        byte[] manifest = store.get(dir + "manifest.json");
        PublishActivitiesImpl publish = new PublishActivitiesImpl(store);
        // Retrying the same publication changes nothing.
        // the very request the run's publish stage was given, read back from its child workflow's history
        io.temporal.api.history.v1.HistoryEvent started = env.getWorkflowClient().fetchHistory("wf-publish/publish").getEvents().get(0);
        PublishActivities.Request same = io.temporal.common.converter.DefaultDataConverter.STANDARD_INSTANCE.fromPayloads(0,
                java.util.Optional.of(started.getWorkflowExecutionStartedEventAttributes().getInput()), PublishActivities.Request.class,
                PublishActivities.Request.class);
        assertEquals("v-fixed", same.version());
        assertEquals(first.modelUri(), publish.publish(same).modelUri());
        assertArrayEquals(manifest, store.get(dir + "manifest.json"));
        // Different content under the same version is refused, and the workflow fails without touching it.
        PublishActivities.RunFacts otherRun = new PublishActivities.RunFacts(same.facts().workflowId(), "another-run", same.facts().input(),
                same.facts().cleaned());
        ApplicationFailure f = assertThrows(ApplicationFailure.class, () -> publish.publish(new PublishActivities.Request(same.run(),
                same.version(), otherRun, same.trained(), same.evaluated(), same.samplesKey(), null)));
        assertEquals("VersionExists", f.getType());
        assertThrows(WorkflowFailedException.class, () -> stub("wf-publish-again").run(small("v-fixed")));
        assertArrayEquals(manifest, store.get(dir + "manifest.json"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void onlyVersionsThatPassThePromotionGateBecomeLatest() {
        PipelineResult base = stub("wf-gate").run(small("g-1"));
        assertTrue(base.promoted());
        String run = "runs/wf-gate/";
        Map<String, Object> metrics = Json.read(store.get(onlyKey(run, "/evaluate/metrics.json")), Map.class);
        double f1 = ((Number) metrics.get("edgeF1")).doubleValue();
        PublishActivitiesImpl publish = new PublishActivitiesImpl(store);
        // a version of `model` whose evaluation scored `value` on `metric`, the rest as measured by the run
        interface Publisher {
            PublishActivities.Result apply(String model, String version, String metric, double value);
        }
        Publisher publishScored = (model, version, metric, value) -> {
            Map<String, Object> changed = new HashMap<>(metrics);
            changed.put(metric, value);
            String key = run + "gate-test/" + model + "/" + version + "/metrics.json";
            store.put(key, Json.bytes(changed), "application/json");
            return publish.publish(publication(model, version, onlyKey(run, "/train/controlnet.safetensors"), onlyKey(run, "/train/config.json"),
                    onlyKey(run, "/evaluate/report.html"), key, 0.05));
        };
        java.util.function.BiFunction<String, Double, PublishActivities.Result> publishWith =
                (version, edgeF1) -> publishScored.apply("gated", version, "edgeF1", edgeF1);
        assertTrue(publishWith.apply("20260101-000000-a", f1).promoted(), "the first version of a model is promoted");
        PublishActivities.Result worse = publishWith.apply("20260102-000000-b", f1 - 0.2);
        assertFalse(worse.promoted());
        assertTrue(worse.decision().contains("kept as candidate"), worse.decision());
        assertEquals("20260101-000000-a", Json.read(store.get("models/gated/latest.json"), Map.class).get("version"));
        assertEquals("candidate", Json.read(store.get("models/gated/20260102-000000-b/manifest.json"), Map.class).get("status"));
        assertTrue(new String(store.get("models/gated/20260102-000000-b/README.md")).contains("candidate (not promoted)"));
        PublishActivities.Result within = publishWith.apply("20260103-000000-c", f1 - 0.04);
        assertTrue(within.promoted(), "within the tolerance: " + within.decision());
        assertEquals("20260103-000000-c", Json.read(store.get("models/gated/latest.json"), Map.class).get("version"));

        // Where a depth annotator measured the samples the gate compares depth RMSE, lower being better;
        // the tolerance (0.05) is a fraction of its 0-255 scale, 12.75.
        assertTrue(publishScored.apply("gated-depth", "20260101-000000-a", "depthRMSE", 20.0).promoted());
        PublishActivities.Result worseDepth = publishScored.apply("gated-depth", "20260102-000000-b", "depthRMSE", 33.0);
        assertFalse(worseDepth.promoted(), worseDepth.decision());
        assertTrue(worseDepth.decision().contains("depth RMSE 33.0000 vs 20.0000"), worseDepth.decision());
        PublishActivities.Result betterDepth = publishScored.apply("gated-depth", "20260103-000000-c", "depthRMSE", 9.0);
        assertTrue(betterDepth.promoted(), betterDepth.decision());
        Map<String, Object> depthManifest = Json.read(store.get("models/gated-depth/20260103-000000-c/manifest.json"), Map.class);
        assertEquals("depthRMSE", depthManifest.get("gateMetric"));
        assertEquals(9.0, ((Number) depthManifest.get("gateValue")).doubleValue());
    }

    @Test
    void anSdShapedControlNetIsAlsoPublishedInTheOriginalSingleFileLayout() throws Exception {
        stub("wf-original").run(small("o-1"));
        String run = "runs/wf-original/";
        dev.cnf.model.config.ControlNetConfig sd = dev.cnf.model.config.StableDiffusionConfig.tinySd().controlnet();
        Map<String, dev.cnf.model.io.Tensor> weights;
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
            dev.cnf.model.controlnet.ControlNet net = new dev.cnf.model.controlnet.ControlNet(sd);
            net.initializeParameters(m, 5);
            weights = dev.cnf.model.io.Weights.export(net);
        }
        store.put(run + "sd/controlnet.safetensors", dev.cnf.model.io.Safetensors.write(weights, Map.of()), "application/octet-stream");
        store.put(run + "sd/config.json", sd.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json");
        PublishActivities.Result published = new PublishActivitiesImpl(store).publish(publication("sd-shaped", "20260101-000000-a",
                run + "sd/controlnet.safetensors", run + "sd/config.json", onlyKey(run, "/evaluate/report.html"),
                onlyKey(run, "/evaluate/metrics.json"), 0.02));
        String dir = "models/sd-shaped/20260101-000000-a/";
        Map<String, dev.cnf.model.io.Tensor> original = dev.cnf.model.io.Safetensors.read(store.get(dir + "control_sd-shaped.safetensors"));
        assertEquals(weights.size(), original.size());
        assertTrue(original.keySet().stream().allMatch(k -> k.startsWith("control_model.")), original.keySet().toString());
        assertEquals(weights.get("controlnet_mid_block.weight"), original.get("control_model.middle_block_out.0.weight"));
        assertEquals(weights.get("controlnet_cond_embedding.conv_in.weight"), original.get("control_model.input_hint_block.0.weight"));
        assertTrue(new String(store.get(dir + PublishActivitiesImpl.SUMS_FILE)).contains("  control_sd-shaped.safetensors\n"));
        assertTrue(new String(store.get(dir + "README.md")).contains("`control_sd-shaped.safetensors` holds the same weights"));
        assertTrue(published.promoted());
    }

    @Test
    void invalidInputFailsBeforeAnyWork() {
        PipelineInput bad = Inputs.of("sources", List.of("file:///etc/passwd"), "condition", "depth");
        WorkflowFailedException e = assertThrows(WorkflowFailedException.class, () -> stub("wf-bad").run(bad));
        assertTrue(e.getCause().getMessage().contains("condition 'depth'"), e.getCause().getMessage());
        assertTrue(store.list("runs/wf-bad/").isEmpty(), "nothing was written");
    }

    @Test
    void aStageThatFailsInItsChildWorkflowNamesTheActivitysReason() {
        // found at validation (the file exists), unusable in the caption stage's child workflow
        store.put("inputs/no-captions.csv", "name,size\nx,1\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), "text/csv");
        PipelineInput in = Inputs.of("name", "bad-captions", "resolution", 64, "trainSteps", 2, "batchSize", 4, "seed", 3,
                "captioner", "csv", "captionsFile", "s3://" + store.bucket() + "/inputs/no-captions.csv");
        WorkflowFailedException e = assertThrows(WorkflowFailedException.class, () -> stub("wf-bad-captions").run(in));
        String error = stubFor("wf-bad-captions").status().error();
        assertTrue(error.startsWith("caption failed: the header [name, size] has no URL column"), error);
        assertNotNull(e.getCause());
    }

    static PipelineInput input(String json) throws Exception {
        return Json.MAPPER.readValue(json, PipelineInput.class);
    }

    /** The tiny TorchScript depth model of the activities' tests (made by activities/src/test/python/make_annotators.py). */
    static void uploadDepthModel() throws Exception {
        Path model = Path.of("../activities/src/test/resources/annotators/depth.pt");
        assertTrue(java.nio.file.Files.exists(model), "run from the workers module: " + model.toAbsolutePath());
        store.put("annotators/depth.pt", java.nio.file.Files.readAllBytes(model), "application/octet-stream");
    }

    /**
     * Long enough for the tiny preset's ControlNet to converge (by step 50-100 on the shipped base, PipelineInput's
     * defaults): then its held-out samples follow the input edges clearly better than the same base without control. The
     * other runs here train a few steps and only check that the numbers exist; this one checks that training works.
     */
    @Test
    @Tag(BITWISE)
    @SuppressWarnings("unchecked")
    void aConvergedControlNetBeatsTheNoControlFloorOnHeldOutSamples() throws Exception {
        PipelineResult r = stub("wf-control").run(input("""
                {"name": "controlled", "resolution": 64, "trainSteps": 600, "batchSize": 8, "learningRate": 5e-3, "seed": 42,
                 "checkpointEvery": 300, "evalSamples": 4, "evalSteps": 10, "probeEvery": 200}"""));
        Map<String, Object> metrics = Json.read(store.get(onlyKey("runs/wf-control/", "/evaluate/metrics.json")), Map.class);
        double floor = ((Number) metrics.get("edgeF1NoControl")).doubleValue();
        System.out.printf("converged run: edge F1 %.3f against the no-control floor %.3f%n", r.edgeF1(), floor);
        // measured on the base retrained for 14,000 steps at its guidance scale 5.0, decoded with the codec's detail
        // threshold: 0.448 against 0.190 (0.546 with oneDNN held to AVX2); without the threshold 0.572 against 0.200 (0.590);
        // at CFG 9, 0.582 against 0.107. On the earlier base, 400 steps gave 0.126 on one code path, too close to the bound.
        // The demo: 0.621 against 0.143
        assertTrue(r.edgeF1() > floor + 0.05 && r.edgeF1() > 1.5 * floor,
                "edge F1 " + r.edgeF1() + " should beat the no-control floor " + floor + " by 0.05 and by half");
    }

    /** Fill50K's colour words, as its prompts name them ("<colour> circle with <colour> background"), in a fixed order. */
    static final Map<String, double[]> FILL_COLOURS = fillColours();

    private static Map<String, double[]> fillColours() {
        Map<String, double[]> colours = new java.util.LinkedHashMap<>(); // BGR
        colours.put("red", new double[] {40, 40, 220});
        colours.put("green", new double[] {60, 180, 60});
        colours.put("blue", new double[] {210, 90, 30});
        colours.put("yellow", new double[] {40, 220, 230});
        colours.put("purple", new double[] {160, 50, 140});
        colours.put("white", new double[] {245, 245, 245});
        colours.put("black", new double[] {15, 15, 15});
        colours.put("orange", new double[] {30, 140, 250});
        return colours;
    }

    private static double luma(double[] bgr) {
        return 0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2];
    }

    /**
     * The paper's tutorial layout (lllyasviel's prompt.json, source/ and target/), made here at Fill50K's shape: a filled
     * circle on a background, its outline as the given condition, the colours in the prompt. Uploaded to S3, imported
     * as pairs (nothing extracted), trained on, and the controlled samples follow the given outlines: edge F1 against
     * the given held-out conditions beats the no-control floor by a margin.
     */
    @Test
    @SuppressWarnings("unchecked")
    void anImportedFill50kStyleSetTrainsOnItsGivenConditions() throws Exception {
        dev.cnf.activities.imaging.OpenCv.load();
        java.util.SplittableRandom random = new java.util.SplittableRandom(50_000);
        List<String> colours = List.copyOf(FILL_COLOURS.keySet());
        StringBuilder lines = new StringBuilder();
        int pairs = 300;
        for (int i = 0; i < pairs; i++) {
            String fg = colours.get(random.nextInt(colours.size()));
            String bg = colours.get(random.nextInt(colours.size()));
            while (Math.abs(luma(FILL_COLOURS.get(fg)) - luma(FILL_COLOURS.get(bg))) < 60) { // an edge Canny can see
                bg = colours.get(random.nextInt(colours.size()));
            }
            org.opencv.core.Point centre = new org.opencv.core.Point(16 + random.nextInt(32), 16 + random.nextInt(32));
            int radius = 6 + random.nextInt(12);
            org.opencv.core.Mat target = new org.opencv.core.Mat(64, 64, org.opencv.core.CvType.CV_8UC3, new org.opencv.core.Scalar(FILL_COLOURS.get(bg)));
            org.opencv.imgproc.Imgproc.circle(target, centre, radius, new org.opencv.core.Scalar(FILL_COLOURS.get(fg)), -1);
            org.opencv.core.Mat source = new org.opencv.core.Mat(64, 64, org.opencv.core.CvType.CV_8UC1, new org.opencv.core.Scalar(0));
            org.opencv.imgproc.Imgproc.circle(source, centre, radius, new org.opencv.core.Scalar(255), 1);
            store.put("fill50k/source/" + i + ".png", dev.cnf.activities.imaging.OpenCv.encodePng(source), "image/png");
            store.put("fill50k/target/" + i + ".png", dev.cnf.activities.imaging.OpenCv.encodePng(target), "image/png");
            lines.append(Json.MAPPER.createObjectNode().put("source", "source/" + i + ".png").put("target", "target/" + i + ".png")
                    .put("prompt", fg + " circle with " + bg + " background")).append('\n');
        }
        lines.append("{\"source\": \"source/9999.png\", \"target\": \"target/0.png\", \"prompt\": \"its condition is missing\"}\n");
        store.put("fill50k/prompt.json", lines.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json");
        for (int v = 0; v < 2; v++) { // the user's own validation conditions: outlines of circles the dataset does not have
            org.opencv.core.Mat outline = new org.opencv.core.Mat(64, 64, org.opencv.core.CvType.CV_8UC1, new org.opencv.core.Scalar(0));
            org.opencv.imgproc.Imgproc.circle(outline, new org.opencv.core.Point(24 + 16 * v, 32), 14 + 4 * v, new org.opencv.core.Scalar(255), 1);
            store.put("validation/outline-" + v + ".png", dev.cnf.activities.imaging.OpenCv.encodePng(outline), "image/png");
        }

        PipelineResult r = stub("wf-fill50k").run(input("""
                {"name": "fill50k-style", "pairs": {"format": "prompt-json"}, "sources": ["s3://%s/fill50k/prompt.json"],
                 "condition": "outline", "resolution": 64, "trainSteps": 600, "batchSize": 8, "learningRate": 5e-3, "seed": 42,
                 "checkpointEvery": 300, "evalSamples": 8, "evalSteps": 10, "probeEvery": 200, "shardSize": 64, "evalEvery": 300,
                 "validationImages": ["s3://%s/validation/outline-0.png", "s3://%s/validation/outline-1.png"],
                 "validationPrompts": ["red circle with blue background"]}""".formatted(store.bucket(), store.bucket(), store.bucket())));
        assertEquals(pairs + 1, r.imagesSeen(), "every row counted");
        assertEquals(pairs, r.imagesKept(), "all pairs kept but the one without its condition");
        Map<String, Object> clean = Json.read(store.get(onlyKey("runs/wf-fill50k/", "/clean/report.json")), Map.class);
        assertEquals(Map.of("MISSING_PARTNER", 1), clean.get("dropped"), clean.toString());
        List<Map<String, Object>> rows = Json.readLines(store.get(onlyKey("runs/wf-fill50k/", "/dataset/manifest.jsonl")),
                (Class<Map<String, Object>>) (Class<?>) Map.class);
        assertTrue(rows.stream().allMatch(m -> "given".equals(m.get("caption_source")) && String.valueOf(m.get("caption")).contains(" circle with ")),
                "the given prompts, not a captioner's");
        assertTrue(rows.stream().allMatch(m -> "outline".equals(m.get("condition"))));
        Map<String, Object> card = Json.read(store.get(r.modelUri().substring(("s3://" + store.bucket() + "/").length()) + "model_card.json"), Map.class);
        assertEquals("outline", card.get("condition"));
        assertEquals("given by the dataset (prompt-json)", card.get("conditionSource"));
        Map<String, Object> metrics = Json.read(store.get(onlyKey("runs/wf-fill50k/", "/evaluate/metrics.json")), Map.class);
        double floor = ((Number) metrics.get("edgeF1NoControl")).doubleValue();
        System.out.printf("imported Fill50K-style run: edge F1 %.3f against the no-control floor %.3f%n", r.edgeF1(), floor);
        // the user's validation pairs, at the evaluation during training and at the end, beside the held-out samples
        List<String> evaluations = store.list("runs/wf-fill50k/").stream().filter(k -> k.endsWith("/metrics.json") && k.contains("/evaluate/")).toList();
        assertEquals(2, evaluations.size(), "step 300 and the end: " + evaluations);
        for (String key : evaluations) {
            List<Map<String, Object>> validation = (List<Map<String, Object>>) Json.read(store.get(key), Map.class).get("validation");
            assertEquals(2, validation.size(), key);
            for (Map<String, Object> v : validation) {
                assertEquals("red circle with blue background", v.get("prompt"), "one prompt for all the images");
                assertTrue(store.exists((String) v.get("sample")), "stored beside the held-out samples: " + v.get("sample"));
                assertTrue(((String) v.get("sample")).contains("/samples/validation/"));
            }
            String report = new String(store.get(key.replace("metrics.json", "report.html")), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(report.contains("Validation images"), "in the report: " + key);
        }
        assertTrue(r.edgeF1() > floor + 0.05 && r.edgeF1() > 1.5 * floor,
                "edge F1 " + r.edgeF1() + " against the given outlines should beat the no-control floor " + floor + " by 0.05 and by half");
    }

    /**
     * Aspect buckets end to end: wide, tall and square pairs (a filled disc, its mask as the given condition) keep their
     * aspect ratio through cleaning, each at its nearest bucket with its condition resized and cropped exactly alike (the
     * disc and the mask still coincide); the shard index names each sample's size, training batches one size at a time,
     * evaluation samples each held-out pair at its own size, and the card lists the buckets.
     */
    @Test
    @SuppressWarnings("unchecked")
    void wideAndTallPairsTrainInTheirAspectBuckets() throws Exception {
        dev.cnf.activities.imaging.OpenCv.load();
        int[][] shapes = {{96, 48}, {48, 96}, {64, 64}, {120, 70}};
        StringBuilder lines = new StringBuilder();
        int pairs = 48;
        for (int i = 0; i < pairs; i++) {
            int w = shapes[i % shapes.length][0], h = shapes[i % shapes.length][1];
            org.opencv.core.Point centre = new org.opencv.core.Point(w / 2.0 + (i % 5) - 2, h / 2.0 + (i % 3) - 1);
            int radius = Math.min(w, h) / 4 + i % 4;
            org.opencv.core.Mat target = new org.opencv.core.Mat(h, w, org.opencv.core.CvType.CV_8UC3, new org.opencv.core.Scalar(210, 90, 30));
            org.opencv.imgproc.Imgproc.circle(target, centre, radius, new org.opencv.core.Scalar(40, 220, 230), -1);
            org.opencv.core.Mat source = new org.opencv.core.Mat(h, w, org.opencv.core.CvType.CV_8UC1, new org.opencv.core.Scalar(0));
            org.opencv.imgproc.Imgproc.circle(source, centre, radius, new org.opencv.core.Scalar(255), -1);
            store.put("buckets/source/" + i + ".png", dev.cnf.activities.imaging.OpenCv.encodePng(source), "image/png");
            store.put("buckets/target/" + i + ".png", dev.cnf.activities.imaging.OpenCv.encodePng(target), "image/png");
            lines.append(Json.MAPPER.createObjectNode().put("source", "source/" + i + ".png").put("target", "target/" + i + ".png")
                    .put("prompt", "yellow disc on blue, " + w + " by " + h)).append('\n');
        }
        store.put("buckets/prompt.json", lines.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json");
        PipelineResult r = stub("wf-buckets").run(input("""
                {"name": "bucketed", "pairs": {"format": "prompt-json"}, "sources": ["s3://%s/buckets/prompt.json"],
                 "condition": "mask", "aspectBuckets": true, "imageFormat": "png", "trainSteps": 30, "batchSize": 4, "seed": 5,
                 "checkpointEvery": 15, "evalSamples": 8, "evalSteps": 4, "probeEvery": 15, "shardSize": 16,
                 "augment": ["flip", "crop"]}""".formatted(store.bucket())));
        assertEquals(pairs, r.imagesKept(), "no pair dropped for its aspect ratio");
        dev.cnf.workflows.spec.AspectBuckets buckets = dev.cnf.workflows.spec.AspectBuckets.make(64, 8, 32, 128);
        List<Map<String, Object>> rows = Json.readLines(store.get(onlyKey("runs/wf-buckets/", "/dataset/manifest.jsonl")),
                (Class<Map<String, Object>>) (Class<?>) Map.class);
        java.util.Set<String> sizes = new java.util.TreeSet<>();
        for (Map<String, Object> row : rows) {
            int ow = ((Number) row.get("original_width")).intValue(), oh = ((Number) row.get("original_height")).intValue();
            var bucket = buckets.nearest(ow, oh);
            assertEquals(bucket.width(), ((Number) row.get("width")).intValue(), row.toString());
            assertEquals(bucket.height(), ((Number) row.get("height")).intValue(), row.toString());
            sizes.add(bucket.toString());
        }
        assertEquals(4, sizes.size(), "each shape in its own bucket: " + sizes);
        assertTrue(sizes.contains("64x64"));
        // image and condition cropped alike: the disc in the cleaned image lies where the cleaned mask is
        List<Map<String, Object>> table = Json.readLines(store.get(onlyKey("runs/wf-buckets/", "/condition/samples.jsonl")),
                (Class<Map<String, Object>>) (Class<?>) Map.class);
        for (Map<String, Object> row : table) {
            org.opencv.core.Mat image = dev.cnf.activities.imaging.OpenCv.decodeBgr(store.get((String) row.get("imageKey")));
            org.opencv.core.Mat mask = dev.cnf.activities.imaging.OpenCv.decodeBgr(store.get((String) row.get("conditionKey")));
            assertEquals(image.size(), mask.size(), row.toString());
            org.opencv.core.Mat disc = new org.opencv.core.Mat();
            org.opencv.core.Core.inRange(image, new org.opencv.core.Scalar(0, 150, 150), new org.opencv.core.Scalar(120, 255, 255), disc);
            org.opencv.core.Mat given = new org.opencv.core.Mat();
            org.opencv.imgproc.Imgproc.cvtColor(mask, given, org.opencv.imgproc.Imgproc.COLOR_BGR2GRAY);
            org.opencv.core.Core.compare(given, new org.opencv.core.Scalar(127), given, org.opencv.core.Core.CMP_GT);
            org.opencv.core.Mat both = new org.opencv.core.Mat();
            org.opencv.core.Mat either = new org.opencv.core.Mat();
            org.opencv.core.Core.bitwise_and(disc, given, both);
            org.opencv.core.Core.bitwise_or(disc, given, either);
            double iou = (double) org.opencv.core.Core.countNonZero(both) / org.opencv.core.Core.countNonZero(either);
            assertTrue(iou > 0.9, "disc and mask coincide after the bucket's resize and crop: IoU " + iou + " for " + row.get("imageKey"));
        }
        Map<String, Object> shardIndex = Json.read(store.get(onlyKey("runs/wf-buckets/", "/dataset/shards.json")), Map.class);
        assertEquals(4, ((List<?>) shardIndex.get("sizes")).size(), shardIndex.toString());
        assertEquals(30, r.trainSteps());
        // evaluation sampled each held-out pair at its own size
        List<Map<String, Object>> perSample = (List<Map<String, Object>>) Json.read(store.get(onlyKey("runs/wf-buckets/", "/evaluate/metrics.json")),
                Map.class).get("perSample");
        java.util.Set<String> sampled = new java.util.TreeSet<>();
        for (Map<String, Object> m : perSample) {
            String key = store.list("runs/wf-buckets/").stream().filter(k -> k.endsWith("/samples/automatic/" + m.get("id") + ".png")).findFirst().orElseThrow();
            org.opencv.core.Mat sample = dev.cnf.activities.imaging.OpenCv.decodeBgr(store.get(key));
            org.opencv.core.Mat condition = dev.cnf.activities.imaging.OpenCv.decodeBgr(store.get(onlyKey("runs/wf-buckets/",
                    "/samples/condition/" + m.get("id") + ".png")));
            assertEquals(condition.size(), sample.size(), key);
            sampled.add(sample.cols() + "x" + sample.rows());
        }
        assertTrue(sampled.size() > 1, "held-out samples in several buckets: " + sampled);
        Map<String, Object> card = Json.read(store.get(r.modelUri().substring(("s3://" + store.bucket() + "/").length()) + "model_card.json"), Map.class);
        assertTrue(String.valueOf(card.get("aspectBuckets")).contains("88x40"), card.toString());
    }

    @Test
    @SuppressWarnings("unchecked")
    void aDepthRunIsScoredByReExtractingDepth() throws Exception {
        uploadDepthModel();
        PipelineResult r = stub("wf-depth").run(input("""
                {"name": "depthy", "condition": "depth", "annotatorModel": "s3://cnf-test/annotators/depth.pt", "resolution": 64,
                 "trainSteps": 4, "batchSize": 4, "learningRate": 1e-3, "seed": 3, "checkpointEvery": 5, "evalSamples": 2,
                 "evalSteps": 2, "probeEvery": 4}"""));
        Map<String, Object> metrics = Json.read(store.get(onlyKey("runs/wf-depth/", "/evaluate/metrics.json")), Map.class);
        double rmse = ((Number) metrics.get("depthRMSE")).doubleValue();
        double floor = ((Number) metrics.get("depthRMSENoControl")).doubleValue();
        // plumbing only: with the activities' toy depth annotator even 400 steps (batch 8, lr 5e-3) gave RMSE 124.7
        // against a floor of 115.7 (measured 2026-11-30), so no "beats the floor" claim is made for depth here
        assertTrue(rmse > 0 && rmse < 255 && floor > 0 && floor < 255, metrics.toString());
        assertTrue(store.list("runs/wf-depth/").stream().anyMatch(k -> k.contains("/condition/depth/")), "depth maps stored");
        String published = "s3://" + store.bucket() + "/";
        assertTrue(new String(store.get(r.reportUri().substring(published.length()))).contains("depth RMSE"));
        assertTrue(new String(store.get(r.modelUri().substring(published.length()) + "README.md")).contains("depth RMSE"), "in the model card");
    }

    /** `cnf run --task-queue team-a-cpu`: the run, its children and its activities stay on that family's queues. */
    @Test
    void aRunStartedOnAnotherQueueFamilyStaysInIt() {
        PipelineResult r = env.getWorkflowClient().newWorkflowStub(PipelineWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue(TEAM_CPU).setWorkflowId("wf-team-a").build())
                .run(Inputs.of("name", "team-a", "resolution", 64, "trainSteps", 2, "batchSize", 4, "seed", 3,
                        "evalSamples", 1, "evalSteps", 2, "probeEvery", 2, "version", "team-a-1"));
        assertEquals(2, r.trainSteps());
        Map<String, String> queueOfActivity = new java.util.TreeMap<>();
        List<String> workflows = new java.util.ArrayList<>(List.of("wf-team-a"));
        for (int i = 0; i < workflows.size(); i++) {
            for (io.temporal.api.history.v1.HistoryEvent e : env.getWorkflowClient().fetchHistory(workflows.get(i)).getEvents()) {
                if (e.hasActivityTaskScheduledEventAttributes()) {
                    var a = e.getActivityTaskScheduledEventAttributes();
                    queueOfActivity.merge(a.getActivityType().getName(), a.getTaskQueue().getName(), (x, y) -> x.equals(y) ? x : x + "," + y);
                } else if (e.hasStartChildWorkflowExecutionInitiatedEventAttributes()) {
                    var c = e.getStartChildWorkflowExecutionInitiatedEventAttributes();
                    assertEquals(TEAM_CPU, c.getTaskQueue().getName(), c.getWorkflowId());
                    workflows.add(c.getWorkflowId());
                }
            }
        }
        assertTrue(workflows.size() > 3, "children followed: " + workflows);
        queueOfActivity.forEach((type, queue) -> assertEquals(type.startsWith("Train") || type.startsWith("Evaluate") ? TEAM_GPU : TEAM_CPU,
                queue, type + " ran on " + queue + " (all: " + queueOfActivity + ")"));
        assertTrue(queueOfActivity.values().containsAll(List.of(TEAM_CPU, TEAM_GPU)), queueOfActivity.toString());
    }

    /**
     * `cnf generate` with a published version reproduces the evaluation's sample pixel for pixel: same held-out condition,
     * caption, seed, steps and guidance (by default the base's in both), but the weights read from the published version
     * (checked against its manifest) and the condition from a file, where the evaluation used the run's own.
     */
    @Test
    @Tag(BITWISE)
    @SuppressWarnings("unchecked")
    void generateReproducesTheEvaluationsSampleFromThePublishedVersion(@TempDir Path tmp) throws Exception {
        PipelineResult r = stub("wf-generate").run(Inputs.of("name", "generate-me", "resolution", 64, "trainSteps", 6, "batchSize", 4,
                "learningRate", 1e-3, "seed", 11, "evalSamples", 1, "evalSteps", 3, "probeEvery", 3, "version", "gen-1"));
        String evaluated = onlyKey("runs/wf-generate/", "/evaluate/metrics.json");
        Map<String, Object> metrics = Json.read(store.get(evaluated), Map.class);
        Map<String, Object> sample = ((List<Map<String, Object>>) metrics.get("perSample")).get(0);
        String samples = evaluated.replace("metrics.json", "samples/");
        Path condition = java.nio.file.Files.write(tmp.resolve("condition.png"), store.get(samples + "condition/" + sample.get("id") + ".png"));
        String[] base = {"generate", "--s3", s3.endpoint(), "--s3-access-key", EmbeddedS3.ACCESS_KEY, "--s3-secret-key", EmbeddedS3.SECRET_KEY,
                "--bucket", store.bucket(), "--prompt", String.valueOf(sample.get("caption")), "--seed", "11", "--steps", "3"};
        List<String> args = new java.util.ArrayList<>(List.of(base));
        args.addAll(List.of("--model", "generate-me@gen-1", "--condition-image", condition.toString(), "--out", tmp.resolve("out").toString()));
        assertEquals(0, dev.cnf.workers.cli.CnfCli.commandLine().execute(args.toArray(String[]::new)));
        org.opencv.core.Mat expected = dev.cnf.activities.imaging.OpenCv.decodeBgr(store.get(samples + "automatic/" + sample.get("id") + ".png"));
        org.opencv.core.Mat generated = dev.cnf.activities.imaging.OpenCv.decodeBgr(java.nio.file.Files.readAllBytes(tmp.resolve("out/sample-00.png")));
        assertEquals(0.0, org.opencv.core.Core.norm(expected, generated, org.opencv.core.Core.NORM_INF), "pixel for pixel");
        Map<String, Object> recipe = Json.read(java.nio.file.Files.readAllBytes(tmp.resolve("out/generate.json")), Map.class);
        assertEquals("gen-1", ((List<Map<String, Object>>) recipe.get("controlnets")).get(0).get("version"));

        // Without control the picture is another one: the ControlNet is in the loop.
        args = new java.util.ArrayList<>(List.of(base));
        args.addAll(List.of("--model", "generate-me@gen-1", "--condition-image", condition.toString(), "--control-scale", "0",
                "--out", tmp.resolve("uncontrolled").toString()));
        assertEquals(0, dev.cnf.workers.cli.CnfCli.commandLine().execute(args.toArray(String[]::new)));
        org.opencv.core.Mat floor = dev.cnf.activities.imaging.OpenCv.decodeBgr(store.get(samples + "no-control/" + sample.get("id") + ".png"));
        org.opencv.core.Mat uncontrolled = dev.cnf.activities.imaging.OpenCv.decodeBgr(
                java.nio.file.Files.readAllBytes(tmp.resolve("uncontrolled/sample-00.png")));
        assertEquals(0.0, org.opencv.core.Core.norm(floor, uncontrolled, org.opencv.core.Core.NORM_INF), "scale 0 is the evaluation's floor");
        assertTrue(org.opencv.core.Core.norm(generated, uncontrolled, org.opencv.core.Core.NORM_INF) > 0, "control changes the image");

        // The same output folder again: refused, nothing overwritten; a damaged weights object: refused.
        assertEquals(2, dev.cnf.workers.cli.CnfCli.commandLine().execute(args.toArray(String[]::new)));
        String weights = ModelRegistry.dir("generate-me", "gen-1") + ModelRegistry.WEIGHTS_FILE;
        byte[] damaged = store.get(weights);
        damaged[damaged.length - 1] ^= 1;
        store.put(weights, damaged, "application/octet-stream");
        args.set(args.size() - 1, tmp.resolve("damaged").toString());
        assertEquals(1, dev.cnf.workers.cli.CnfCli.commandLine().execute(args.toArray(String[]::new)), "checksum mismatch");
        assertFalse(java.nio.file.Files.exists(tmp.resolve("damaged/sample-00.png")));
    }

    /**
     * Multi-ControlNet at evaluation: the run's ControlNet composed with another published one (another condition, its
     * own scale), the other fed its own condition extracted from the held-out images. A ControlNet that cannot compose is
     * refused before any work, with the reason.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theFinalEvaluationComposesPublishedControlNetsAsMultiControlNet() {
        stub("wf-compose-other").run(Inputs.of("name", "soft-edges", "resolution", 64, "trainSteps", 2, "batchSize", 4, "learningRate", 1e-3,
                "seed", 3, "evalSamples", 1, "evalSteps", 2, "probeEvery", 2, "condition", "softedge", "version", "s-1"));
        PipelineResult r = stub("wf-compose").run(Inputs.of("name", "composing", "resolution", 64, "trainSteps", 2, "batchSize", 4,
                "learningRate", 1e-3, "seed", 3, "evalSamples", 2, "evalSteps", 2, "probeEvery", 2, "composeWith", List.of("soft-edges:0.5")));
        Map<String, Object> metrics = Json.read(store.get(r.evaluationMetricsKey()), Map.class);
        assertEquals(List.of("soft-edges@s-1 x0.5"), metrics.get("composedWith"));
        Map<String, Object> modes = (Map<String, Object>) metrics.get("promptModes");
        assertTrue(((Map<String, Object>) modes.get("composed")).get("edgeF1") instanceof Number, modes.toString());
        String folder = r.evaluationMetricsKey().replace("metrics.json", "samples/");
        int differing = 0;
        for (Map<String, Object> sample : (List<Map<String, Object>>) metrics.get("perSample")) {
            byte[] composed = store.get(folder + "composed/" + sample.get("id") + ".png");
            byte[] alone = store.get(folder + "automatic/" + sample.get("id") + ".png");
            differing += java.util.Arrays.equals(composed, alone) ? 0 : 1;
        }
        assertTrue(differing > 0, "the composed ControlNet changes the samples: it is in the loop");

        WorkflowFailedException e = assertThrows(WorkflowFailedException.class, () -> stub("wf-compose-bad").run(Inputs.of("name", "composing",
                "resolution", 128, "trainSteps", 2, "composeWith", List.of("soft-edges@s-1", "no-such-model"))));
        String error = stubFor("wf-compose-bad").status().error();
        assertTrue(error.contains("composeWith soft-edges@s-1: trained with resolution 64, this run has 128")
                && error.contains("composeWith no-such-model@latest x1.0: no published version of model 'no-such-model'"), error);
        assertTrue(store.list("runs/wf-compose-bad/").stream().noneMatch(k -> k.contains("/ingest/")), "refused before any work");
        assertNotNull(e.getCause());
    }

    /**
     * The paper's hint encoder as an input option: trained, evaluated and published (config.json says so; the card names
     * it and the weights diffusers cannot load), and `cnf generate` builds the same encoder from the published version:
     * it paints the evaluation's sample pixel for pixel.
     */
    @Test
    @Tag(BITWISE)
    @SuppressWarnings("unchecked")
    void thePapersHintEncoderTrainsPublishesAndGeneratesAsEvaluated(@TempDir Path tmp) throws Exception {
        stub("wf-paper-hint").run(Inputs.of("name", "paper-hint", "resolution", 64, "trainSteps", 6, "batchSize", 4,
                "learningRate", 1e-3, "seed", 11, "evalSamples", 1, "evalSteps", 3, "probeEvery", 3, "version", "p-1", "hintEncoder", "paper"));
        String dir = ModelRegistry.dir("paper-hint", "p-1");
        String config = new String(store.get(dir + "config.json"), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(config.contains("\"cnf_hint_encoder\" : \"paper\""), config);
        String card = new String(store.get(dir + "README.md"), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(card.contains("| hint encoder | the paper's (four 4x4 convolutions, ReLU; diffusers cannot load it) |"), card);
        assertTrue(card.contains("controlnet_cond_embedding.conv_in.weight"), "the keys diffusers would not load: " + card);
        String evaluated = onlyKey("runs/wf-paper-hint/", "/evaluate/metrics.json");
        Map<String, Object> sample = ((List<Map<String, Object>>) Json.read(store.get(evaluated), Map.class).get("perSample")).get(0);
        String samples = evaluated.replace("metrics.json", "samples/");
        Path condition = java.nio.file.Files.write(tmp.resolve("condition.png"), store.get(samples + "condition/" + sample.get("id") + ".png"));
        assertEquals(0, dev.cnf.workers.cli.CnfCli.commandLine().execute("generate", "--s3", s3.endpoint(), "--s3-access-key",
                EmbeddedS3.ACCESS_KEY, "--s3-secret-key", EmbeddedS3.SECRET_KEY, "--bucket", store.bucket(), "--prompt",
                String.valueOf(sample.get("caption")), "--seed", "11", "--steps", "3", "--model", "paper-hint@p-1",
                "--condition-image", condition.toString(), "--out", tmp.resolve("out").toString()));
        org.opencv.core.Mat expected = dev.cnf.activities.imaging.OpenCv.decodeBgr(store.get(samples + "automatic/" + sample.get("id") + ".png"));
        org.opencv.core.Mat generated = dev.cnf.activities.imaging.OpenCv.decodeBgr(java.nio.file.Files.readAllBytes(tmp.resolve("out/sample-00.png")));
        assertEquals(0.0, org.opencv.core.Core.norm(expected, generated, org.opencv.core.Core.NORM_INF), "pixel for pixel");

        // retraining must keep the encoder the weights have
        WorkflowFailedException e = assertThrows(WorkflowFailedException.class, () -> stub("wf-paper-hint-continue").run(Inputs.of(
                "name", "paper-hint", "resolution", 64, "trainSteps", 2, "batchSize", 4, "seed", 11, "evalSamples", 1, "evalSteps", 2,
                "continueFromLatest", true)));
        String error = stubFor("wf-paper-hint-continue").status().error();
        assertTrue(error.contains("it has the paper hint encoder and this run asks for hintEncoder diffusers"), error);
        assertNotNull(e.getCause());
    }

    /**
     * diffusers' ControlNetModel.from_pretrained loads the published version, and StableDiffusionControlNetPipeline on the
     * same base, prompt, condition and initial latents (20 DDIM steps, CFG 9.0, control scale 1.0) paints the image
     * cnf's sampler paints (DiffusersConfigInteropTest covers the original-layout single file).
     */
    static void diffusersRunsWhatWasPublished(Path base, String versionKey) throws Exception {
        Path work = java.nio.file.Files.createTempDirectory(dataDir, "diffusers-");
        Path version = java.nio.file.Files.createDirectories(work.resolve("version"));
        for (String file : List.of("config.json", "diffusion_pytorch_model.safetensors")) {
            store.getToFile(versionKey + file, version.resolve(file));
        }
        String prompt = "a bright red circle on a plain white background";
        float[] condition = new float[3 * 64 * 64];
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                float edge = Math.abs(Math.hypot(x - 30, y - 34) - 17) < 1 ? 1f : 0f;
                for (int c = 0; c < 3; c++) {
                    condition[c * 64 * 64 + y * 64 + x] = edge;
                }
            }
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        float[] latents = new float[4 * 16 * 16]; // tiny-sd's VAE has three blocks: 64 px are 16x16 latents
        for (int i = 0; i < latents.length; i++) {
            latents[i] = (float) random.nextGaussian();
        }
        java.nio.file.Files.write(work.resolve("io.safetensors"), dev.cnf.model.io.Safetensors.write(Map.of(
                "in.latents", new dev.cnf.model.io.Tensor(new long[] {1, 4, 16, 16}, latents),
                "in.condition", new dev.cnf.model.io.Tensor(new long[] {1, 3, 64, 64}, condition)), Map.of()));
        dev.cnf.model.Oracles.run("diffusers_pipeline_check.py", base.toString(), version.toString(),
                work.resolve("io.safetensors").toString(), work.resolve("out.safetensors").toString(), prompt, "20", "9.0", "1.0");
        float[] theirs = dev.cnf.model.io.Safetensors.read(java.nio.file.Files.readAllBytes(work.resolve("out.safetensors"))).get("out.image").data();

        float[] ours;
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
            dev.cnf.model.BaseModel model = dev.cnf.activities.models.BaseModels.load(base.toString(), "tiny-sd", 64, store, m).model();
            dev.cnf.model.controlnet.ControlNet cn = dev.cnf.model.io.DiffusersFolder.loadControlNet(version, m);
            ours = new dev.cnf.model.pipelines.ControlNetSampler(model, null).sampleControlled(m, List.of(prompt),
                    List.of(new dev.cnf.model.pipelines.ControlNetSampler.Control(cn, List.of(condition), 1f)),
                    new dev.cnf.model.pipelines.ControlNetSampler.Settings(20, 9f, 1f, 0), latents).get(0);
        }
        double worst = dev.cnf.model.DiffusersImages.maxPixelDifference(ours, theirs, 64);
        System.out.printf("diffusers pipeline vs cnf sampler: max |difference| %.2e in [0,1] pixels%n", worst);
        assertTrue(worst < 1e-3, "StableDiffusionControlNetPipeline and cnf's sampler: max |Δ| " + worst);
    }

    @Test
    @SuppressWarnings("unchecked")
    void smallScaleModeReconnectsTheSkipsAtTheGivenStep() throws Exception {
        PipelineResult r = stub("wf-small").run(Inputs.of("name", "small-scale", "resolution", 64, "trainSteps", 6, "batchSize", 4,
                "learningRate", 1e-3, "seed", 3, "checkpointEvery", 3, "evalSamples", 2, "evalSteps", 2, "probeEvery", 3,
                "trainingMode", "small", "reconnectSkipsAt", 4));
        assertEquals(6, r.trainSteps());
        List<Map<String, Object>> rows = (List<Map<String, Object>>) (List<?>) Json.readLines(
                store.get(onlyKey("runs/wf-small/", "/train/metrics.jsonl")), Map.class);
        List<Map<String, Object>> reconnects = rows.stream().filter(m -> "reconnect".equals(m.get("kind"))).toList();
        assertEquals(1, reconnects.size(), rows.toString());
        assertEquals(4, ((Number) reconnects.get(0).get("step")).intValue());
        Map<String, Object> zero = baseDeviation("runs/wf-small/"); // the default joins: zero convolutions
        assertEquals("zero", zero.get("zeroConvInit"));
        assertEquals(0.0, ((Number) zero.get("maxAbs")).doubleValue(), "zero convolutions: the base's prediction, bit for bit");
        assertTrue(new String(store.get(store.keyOf(r.modelUri()) + "README.md"))
                .contains("small (skips reconnected at step 4)"), "the model card says how it was trained");
    }

    /**
     * The paper's ablations as input options: joins drawn as Gaussian layers start the wrapped model away from its base
     * (zero convolutions start it exactly there: the small-scale run's log), and no prompt dropout; the card says both.
     */
    @Test
    @SuppressWarnings("unchecked")
    void gaussianJoinsStartAwayFromTheBaseAndTheCardSaysHowItTrained() throws Exception {
        PipelineResult r = stub("wf-gaussian").run(Inputs.of("name", "gaussian-joins", "resolution", 64, "trainSteps", 2, "batchSize", 4,
                "learningRate", 1e-3, "seed", 3, "evalSamples", 2, "evalSteps", 2, "probeEvery", 2,
                "zeroConvInit", "gaussian", "promptDropout", 0.0));
        Map<String, Object> gaussian = baseDeviation("runs/wf-gaussian/");
        assertEquals("gaussian", gaussian.get("zeroConvInit"));
        assertTrue(((Number) gaussian.get("rms")).doubleValue() > 1e-3, gaussian.toString());
        String card = new String(store.get(store.keyOf(r.modelUri()) + "README.md"));
        assertTrue(card.contains("| joins (1x1 convolutions) initialised | gaussian |"), card);
        assertTrue(card.contains("| prompts trained as empty | 0.0 |"), card);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> baseDeviation(String run) {
        List<Map<String, Object>> rows = (List<Map<String, Object>>) (List<?>) Json.readLines(store.get(onlyKey(run, "/train/metrics.jsonl")), Map.class);
        return rows.stream().filter(m -> "base_deviation".equals(m.get("kind"))).findFirst().orElseThrow(() -> new AssertionError(rows.toString()));
    }

    @Test
    @Tag(BITWISE)
    @SuppressWarnings("unchecked")
    void largeScaleModeTrainsTheBaseFromItsStepAndPublishesIt() throws Exception {
        PipelineResult r = stub("wf-large").run(Inputs.of("name", "large-scale", "resolution", 64, "trainSteps", 6, "batchSize", 4,
                "learningRate", 1e-3, "seed", 3, "checkpointEvery", 3, "evalSamples", 2, "evalSteps", 2, "probeEvery", 3,
                "trainingMode", "large", "unlockBaseAt", 4, "baseLearningRate", 1e-4));
        String run = "runs/wf-large/";
        List<Map<String, Object>> rows = (List<Map<String, Object>>) (List<?>) Json.readLines(store.get(onlyKey(run, "/train/metrics.jsonl")), Map.class);
        List<Map<String, Object>> unlocks = rows.stream().filter(m -> "unlock".equals(m.get("kind"))).toList();
        assertEquals(1, unlocks.size(), rows.toString());
        assertEquals(4, ((Number) unlocks.get(0).get("step")).intValue());
        List<String> keys = store.list(run);
        assertTrue(keys.stream().noneMatch(k -> k.contains("/step-00000003/base_unet")), "frozen at step 3: no base weights in that checkpoint");
        assertTrue(keys.stream().anyMatch(k -> k.endsWith("/step-00000006/base_unet.safetensors")), keys.toString());
        assertTrue(keys.stream().anyMatch(k -> k.endsWith("/step-00000006/base_unet_optimizer.safetensors")));

        String dir = store.keyOf(r.modelUri());
        Map<String, dev.cnf.model.io.Tensor> published = dev.cnf.model.io.Safetensors.read(store.get(dir + ModelRegistry.BASE_UNET_FILE));
        Map<String, dev.cnf.model.io.Tensor> shipped;
        try (java.io.InputStream in = getClass().getResourceAsStream("/dev/cnf/datasets/base/tiny-circles/unet.safetensors")) {
            shipped = dev.cnf.model.io.Safetensors.read(in.readAllBytes());
        }
        assertEquals(shipped.keySet(), published.keySet(), "the base UNet's own parameter names");
        assertNotEquals(shipped, published, "two steps of joint training changed the base");
        List<Map<String, Object>> files = (List<Map<String, Object>>) Json.read(store.get(dir + "manifest.json"), Map.class).get("files");
        assertTrue(files.stream().anyMatch(f -> ModelRegistry.BASE_UNET_FILE.equals(f.get("path"))), "listed and checksummed");
        String card = new String(store.get(dir + "README.md"));
        assertTrue(card.contains("large (base UNet unlocked at step 4, learning rate 1.0E-4)"), card);
        assertTrue(card.contains(ModelRegistry.BASE_UNET_FILE));

        // Continuing from it (default mode) starts from its ControlNet and its base UNet, keeps that base frozen and publishes it again.
        PipelineResult next = stub("wf-large-continued").run(Inputs.of("name", "large-scale", "resolution", 64, "trainSteps", 2,
                "batchSize", 4, "learningRate", 1e-3, "seed", 4, "checkpointEvery", 5, "evalSamples", 2, "evalSteps", 2, "probeEvery", 2,
                "continueFromLatest", true, "promotionTolerance", 1.0));
        List<Map<String, Object>> nextRows = (List<Map<String, Object>>) (List<?>) Json.readLines(
                store.get(onlyKey("runs/wf-large-continued/", "/train/metrics.jsonl")), Map.class);
        Map<String, Object> init = nextRows.stream().filter(m -> "init".equals(m.get("kind"))).findFirst().orElseThrow();
        assertEquals(dir + ModelRegistry.BASE_UNET_FILE, init.get("baseUnetFrom"));
        String nextDir = store.keyOf(next.modelUri());
        assertArrayEquals(store.get(dir + ModelRegistry.BASE_UNET_FILE), store.get(nextDir + ModelRegistry.BASE_UNET_FILE),
                "the frozen base the ControlNet was trained against");
    }

    @Test
    @Tag(BITWISE)
    @SuppressWarnings("unchecked")
    void evaluationEveryNStepsLeavesTheTrainedWeightsUnchanged() throws Exception {
        Object[] fields = {"name", "evaluated", "resolution", 64, "trainSteps", 6, "batchSize", 4, "learningRate", 1e-3, "seed", 3,
                "checkpointEvery", 5, "evalSamples", 2, "evalSteps", 2, "probeEvery", 3, "promotionTolerance", 1.0};
        PipelineWorkflow wf = stub("wf-eval-every");
        java.util.List<Object> withEvery = new java.util.ArrayList<>(List.of(fields));
        withEvery.addAll(List.of("evalEvery", 3));
        PipelineResult r = wf.run(Inputs.of(withEvery.toArray()));
        assertEquals(6, r.trainSteps());
        assertTrue(wf.status().completed().stream().anyMatch(l -> l.startsWith("evaluate at step 3: edge F1")), wf.status().completed().toString());
        String run = "runs/wf-eval-every/";
        Map<String, Object> atThree = Json.read(store.get(onlyKey(run, "/evaluate/step-00000003/metrics.json")), Map.class);
        assertEquals(3, ((Number) atThree.get("atStep")).intValue());
        assertTrue(store.exists(onlyKey(run, "/evaluate/step-00000003/metrics.json").replace("metrics.json", "report.html")));
        Map<String, Object> last = Json.read(store.get(onlyKey(run, "/evaluate/metrics.json")), Map.class);
        List<Map<String, Object>> during = (List<Map<String, Object>>) last.get("duringTraining");
        assertEquals(1, during.size());
        assertEquals(3, ((Number) during.get(0).get("atStep")).intValue());
        assertTrue(new String(store.get(onlyKey(run, "/evaluate/report.html"))).contains("at step 3 (during training)"));

        // every stage after the dataset is a child workflow with its own history; the parent schedules none of their activities
        List<io.temporal.api.history.v1.HistoryEvent> parent = env.getWorkflowClient().fetchHistory("wf-eval-every").getEvents();
        List<String> parentActivities = parent.stream().filter(io.temporal.api.history.v1.HistoryEvent::hasActivityTaskScheduledEventAttributes)
                .map(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName()).toList();
        assertEquals(List.of("Validate", "Discover", "Dedupe"), parentActivities, "the parent's own activities");
        Map<String, String> childTypes = new java.util.TreeMap<>();
        parent.stream().filter(io.temporal.api.history.v1.HistoryEvent::hasStartChildWorkflowExecutionInitiatedEventAttributes)
                .map(io.temporal.api.history.v1.HistoryEvent::getStartChildWorkflowExecutionInitiatedEventAttributes)
                .forEach(c -> childTypes.put(c.getWorkflowId(), c.getWorkflowType().getName()));
        assertEquals(Map.of("wf-eval-every/dataset", "DatasetWorkflow", "wf-eval-every/caption", "CaptionWorkflow",
                "wf-eval-every/condition", "ConditionWorkflow", "wf-eval-every/train", "TrainingWorkflow",
                "wf-eval-every/evaluate", "EvaluationWorkflow", "wf-eval-every/publish", "PublishWorkflow"), childTypes);
        List<String> trainingActivities = env.getWorkflowClient().fetchHistory("wf-eval-every/train").getEvents().stream()
                .filter(io.temporal.api.history.v1.HistoryEvent::hasActivityTaskScheduledEventAttributes)
                .map(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName()).toList();
        assertEquals(List.of("Train", "Evaluate", "Train"), trainingActivities, "two segments and the evaluation between them");
        var training = env.getWorkflowClient().newWorkflowStub(dev.cnf.workflows.pipeline.TrainingWorkflow.class, "wf-eval-every/train");
        assertEquals(6, training.status().progress().step(), "the training child answers its own status query when closed");
        for (String child : List.of("", "/dataset", "/dataset/shard-00000", "/caption", "/condition", "/train", "/evaluate", "/publish")) {
            recordHistory("wf-eval-every" + child);
        }

        // the segments resume from each other's checkpoints: the weights are those of one uninterrupted run
        stub("wf-eval-end").run(Inputs.of(fields));
        assertArrayEquals(store.get(onlyKey("runs/wf-eval-end/", "/train/controlnet.safetensors")),
                store.get(onlyKey(run, "/train/controlnet.safetensors")));
    }

    /**
     * Model selection: with selectCheckpoint best, the checkpoints evaluated during training keep their weights, the
     * run publishes the one with the highest held-out edge F1 (the last step's on a tie) with its own evaluation, and
     * the card says which it is.
     */
    @Test
    @Tag(BITWISE)
    @SuppressWarnings("unchecked")
    void theBestEvaluatedCheckpointIsPublishedAndTheCardSaysWhich() throws Exception {
        PipelineResult r = stub("wf-best").run(Inputs.of("name", "best", "resolution", 64, "trainSteps", 4, "batchSize", 4,
                "learningRate", 1e-2, "seed", 3, "evalSamples", 2, "evalSteps", 2, "probeEvery", 2, "promotionTolerance", 1.0,
                "evalEvery", 2, "selectCheckpoint", "best"));
        String run = "runs/wf-best/";
        String atTwo = onlyKey(run, "/evaluate/step-00000002/metrics.json").replace("metrics.json", "");
        double midF1 = ((Number) Json.read(store.get(atTwo + "metrics.json"), Map.class).get("edgeF1")).doubleValue();
        double lastF1 = ((Number) Json.read(store.get(onlyKey(run, "/evaluate/metrics.json")), Map.class).get("edgeF1")).doubleValue();
        boolean midWins = midF1 > lastF1;
        String versionDir = store.keyOf(r.modelUri());
        byte[] published = store.get(versionDir + "diffusion_pytorch_model.safetensors");
        assertArrayEquals(store.get(midWins ? atTwo + "controlnet.safetensors" : onlyKey(run, "/train/controlnet.safetensors")), published,
                "edge F1 at step 2 " + midF1 + ", at step 4 " + lastF1);
        assertFalse(java.util.Arrays.equals(store.get(atTwo + "controlnet.safetensors"), store.get(onlyKey(run, "/train/controlnet.safetensors"))),
                "two different checkpoints to choose from");
        assertEquals(Math.max(midF1, lastF1), r.edgeF1(), 1e-12);
        String card = new String(store.get(versionDir + "README.md"));
        assertTrue(card.contains(String.format(java.util.Locale.ROOT, "| published weights | step %d: the best held-out edge F1 (%.3f) of 2 evaluated checkpoints; the last step's (4) scored %.3f |",
                midWins ? 2 : 4, Math.max(midF1, lastF1), lastF1)), card);
    }

    /**
     * The tiny preset's encoders (a pixel unshuffle, hashed tokens) cost less to run than a fetch: training encodes them
     * as it goes and keeps them in memory only, so nothing of theirs is stored (the SD-shaped run below checks that a
     * second run takes the VAE's and CLIP's outputs from the store).
     */
    @Test
    @SuppressWarnings("unchecked")
    void theTinyPresetsEncodersAreComputedNotStored() throws Exception {
        PipelineResult r = stub("wf-cache-1").run(Inputs.of("name", "cached", "resolution", 64, "trainSteps", 2, "batchSize", 4,
                "learningRate", 1e-3, "seed", 3, "checkpointEvery", 5, "evalSamples", 2, "evalSteps", 2, "probeEvery", 2,
                "promotionTolerance", 1.0));
        Map<String, Object> row = cacheRow(r, "wf-cache-1");
        assertEquals(8, ((Number) row.get("latentHits")).intValue() + ((Number) row.get("latentMisses")).intValue(), "2 steps of 4: " + row);
        assertEquals(false, row.get("latentsStored"), row.toString());
        assertEquals(false, row.get("textStored"), row.toString());
        String sha = String.valueOf(Json.read(store.get(store.keyOf(r.modelUri()) + "model_card.json"), Map.class).get("baseModelSha256"));
        assertEquals(List.of(), store.list("cache/" + sha + "/"), "nothing stored for the tiny base");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cacheRow(PipelineResult r, String workflowId) {
        List<Map<String, Object>> rows = (List<Map<String, Object>>) (List<?>) Json.readLines(
                store.get(onlyKey("runs/" + workflowId + "/", "/train/metrics.jsonl")), Map.class);
        return rows.stream().filter(m -> "cache".equals(m.get("kind"))).findFirst().orElseThrow();
    }

    @Test
    void aMissingAnnotatorModelFailsAtValidationBeforeAnyWork() throws Exception {
        WorkflowFailedException e = assertThrows(WorkflowFailedException.class, () -> stub("wf-missing-model").run(input("""
                {"condition": "seg", "annotatorModel": "s3://cnf-test/annotators/missing.pt"}""")));
        String message = e.getCause().getCause().getMessage();
        assertTrue(message.contains("annotatorModel 's3://cnf-test/annotators/missing.pt': no such file"), message);
        assertEquals("validate", PipelineWorkflowTest.stubFor("wf-missing-model").status().error().split(" ")[0]);
        assertTrue(store.list("runs/wf-missing-model/").isEmpty(), "nothing was ingested");
    }

    static PipelineWorkflow stubFor(String id) {
        return env.getWorkflowClient().newWorkflowStub(PipelineWorkflow.class, id);
    }

    static PipelineInput training(String name, int steps) {
        // Checkpoints only at the end (checkpointEvery > steps), so a checkpoint mid-way can only come from the pause.
        return Inputs.of("name", name, "resolution", 64, "trainSteps", steps, "batchSize", 4, "learningRate", 1e-3, "seed", 3,
                "checkpointEvery", 1000, "evalSamples", 2, "evalSteps", 3, "probeEvery", 1000);
    }

    static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 120_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    @Test
    void theShardsRunInAChildWorkflowThatContinuesAsNewAndPausesWithItsParent() throws Exception {
        PipelineWorkflow wf = stub("wf-child");
        io.temporal.client.WorkflowClient.start(wf::run, Inputs.of("name", "children", "resolution", 64, "trainSteps", 2, "batchSize", 4,
                "learningRate", 1e-3, "seed", 3, "checkpointEvery", 5, "evalSamples", 2, "evalSteps", 2, "probeEvery", 2,
                "shardSize", 8, "parallelShards", 2, "shardsPerRun", 2));
        wf.pause(); // lands before, during or after the shards: the run waits in each case
        await(() -> wf.status().paused() && wf.status().state().paused(), "the run to pause");
        wf.resume();
        PipelineResult r = io.temporal.client.WorkflowStub.fromTyped(wf).getResult(PipelineResult.class);
        assertEquals(gallery.goodImages(), r.imagesKept());
        PipelineStatus.DatasetProgress progress = wf.status().dataset();
        assertTrue(progress.shards() > 2, "enough shards to continue as new: " + progress.shards());
        assertEquals(progress.shards(), progress.shardsCleaned(), "every shard reported to the parent");
        assertEquals(r.imagesSeen(), progress.seen());

        List<io.temporal.api.history.v1.HistoryEvent> parent = env.getWorkflowClient().fetchHistory("wf-child").getEvents();
        long signals = parent.stream().filter(e -> e.hasWorkflowExecutionSignaledEventAttributes()
                && e.getWorkflowExecutionSignaledEventAttributes().getSignalName().equals("datasetProgress")).count();
        assertTrue(signals >= 1 && signals <= progress.shards(), "progress in batches, at most one signal per shard: " + signals);
        assertTrue(parent.stream().anyMatch(io.temporal.api.history.v1.HistoryEvent::hasStartChildWorkflowExecutionInitiatedEventAttributes));
        assertTrue(parent.stream().noneMatch(e -> e.hasActivityTaskScheduledEventAttributes()
                && e.getActivityTaskScheduledEventAttributes().getActivityType().getName().equals("FetchShard")),
                "the shard activities are in the child's history, not the parent's");
        io.temporal.common.WorkflowExecutionHistory child = env.getWorkflowClient().fetchHistory("wf-child/dataset");
        assertFalse(child.getEvents().get(0).getWorkflowExecutionStartedEventAttributes().getContinuedExecutionRunId().isEmpty(),
                "the child's last run continued an earlier one");
        for (var history : List.of(parent, child.getEvents())) {
            assertTrue(history.stream().noneMatch(e -> e.toString().contains("ingest/refs/shard-")),
                    "no list of shards passes through the histories: its size would grow with the crawl");
        }
        List<String> shardsInLastRun = child.getEvents().stream()
                .filter(io.temporal.api.history.v1.HistoryEvent::hasStartChildWorkflowExecutionInitiatedEventAttributes)
                .map(e -> e.getStartChildWorkflowExecutionInitiatedEventAttributes().getWorkflowId()).toList();
        assertTrue(!shardsInLastRun.isEmpty() && shardsInLastRun.size() <= 2, "a run starts at most shardsPerRun shards: " + shardsInLastRun);
        assertTrue(shardsInLastRun.stream().allMatch(id -> id.matches("wf-child/dataset/shard-\\d{5}")), "one child per shard: " + shardsInLastRun);
        List<String> shardActivities = env.getWorkflowClient().fetchHistory(shardsInLastRun.get(0)).getEvents().stream()
                .filter(io.temporal.api.history.v1.HistoryEvent::hasActivityTaskScheduledEventAttributes)
                .map(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName()).toList();
        assertEquals(List.of("FetchShard", "CleanShard"), shardActivities, "a shard's child fetches, then cleans");
        recordHistory("wf-child");
        recordHistory("wf-child/dataset");
    }

    @Test
    void aCancelDuringIngestionStopsTheChildWorkflowToo() throws Exception {
        PipelineWorkflow wf = stub("wf-child-cancel");
        io.temporal.client.WorkflowClient.start(wf::run, Inputs.of("name", "children-cancelled", "resolution", 64, "trainSteps", 2,
                "batchSize", 4, "seed", 3, "evalSamples", 2, "shardSize", 4, "parallelShards", 1, "shardsPerRun", 1));
        await(() -> wf.status().dataset() != null && wf.status().dataset().shardsCleaned() >= 1, "a first shard in the child");
        wf.cancel("stop the crawl");
        WorkflowFailedException e = assertThrows(WorkflowFailedException.class,
                () -> io.temporal.client.WorkflowStub.fromTyped(wf).getResult(PipelineResult.class));
        assertEquals("Cancelled", ((ApplicationFailure) e.getCause()).getType());
        var child = env.getWorkflowClient().getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
                io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest.newBuilder().setNamespace(env.getNamespace())
                        .setExecution(io.temporal.api.common.v1.WorkflowExecution.newBuilder().setWorkflowId("wf-child-cancel/dataset")).build());
        assertNotEquals(io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
                child.getWorkflowExecutionInfo().getStatus(), "the child does not run on");
        PipelineStatus.DatasetProgress d = wf.status().dataset();
        assertTrue(d.shardsCleaned() < d.shards(), "cancelled before every shard ran: " + d);
    }

    @Test
    @SuppressWarnings("unchecked")
    void pauseCheckpointsTrainingAndAnUpdateAppliesWhenItResumes() throws Exception {
        PipelineWorkflow wf = stub("wf-train-pause");
        io.temporal.client.WorkflowClient.start(wf::run, training("pausable", 60));
        await(() -> wf.status().training() != null, "training progress in the status query");
        PipelineStatus running = wf.status();
        assertEquals(new dev.cnf.workflows.pipeline.StageState(Stage.TRAIN, false, null), running.state());
        assertEquals(60, running.training().totalSteps());
        assertTrue(running.training().stepsPerSecond() > 0, "throughput reported");

        wf.pause();
        await(() -> wf.status().paused() && wf.status().state().paused(), "the run to pause");
        PipelineStatus paused = wf.status();
        assertTrue(paused.paused());
        int step = paused.training().step();
        assertTrue(step > 0 && step < 60, "paused mid-training at step " + step);
        String checkpoint = paused.training().lastCheckpointKey();
        assertNotNull(checkpoint, "the pause wrote a checkpoint");
        assertTrue(checkpoint.endsWith(String.format("step-%08d/", step)) || checkpoint.contains(String.format("step-%08d", step)), checkpoint);
        assertTrue(store.list(checkpoint).stream().anyMatch(k -> k.endsWith("state.json")), "complete checkpoint in S3: " + checkpoint);

        var refused = assertThrows(io.temporal.client.WorkflowUpdateException.class, () -> wf.updateTraining(
                new dev.cnf.workflows.pipeline.TrainingControl(1, null, null)));
        assertTrue(String.valueOf(refused.getCause().getMessage()).contains("already trained"), refused.getCause().getMessage());
        var badInterval = assertThrows(io.temporal.client.WorkflowUpdateException.class, () -> wf.updateTraining(
                new dev.cnf.workflows.pipeline.TrainingControl(null, null, -1)));
        assertTrue(String.valueOf(badInterval.getCause().getMessage()).contains("evalEvery -1"), badInterval.getCause().getMessage());
        // more steps, and an evaluation during training that the run did not ask for at the start
        var now = wf.updateTraining(new dev.cnf.workflows.pipeline.TrainingControl(70, null, 65));
        assertEquals(70, now.trainSteps());
        assertEquals(65, now.evalEvery());
        assertEquals(65, wf.status().schedule().evalEvery());
        wf.resume();
        PipelineResult r = io.temporal.client.WorkflowStub.fromTyped(wf).getResult(PipelineResult.class);
        assertEquals(70, r.trainSteps(), "the update took effect");
        String run = store.list("runs/wf-train-pause/").get(0).split("/")[2];
        List<Map<String, Object>> rows = (List<Map<String, Object>>) (List<?>) Json.readLines(
                store.get(onlyKey("runs/wf-train-pause/" + run + "/", "/train/metrics.jsonl")), Map.class);
        assertTrue(rows.stream().anyMatch(m -> "resume".equals(m.get("kind")) && ((Number) m.get("step")).intValue() == step),
                "training resumed from the pause checkpoint at step " + step);
        assertEquals(70, rows.stream().filter(m -> "step".equals(m.get("kind"))).count(), "every step trained exactly once");
        assertTrue(wf.status().completed().stream().anyMatch(l -> l.startsWith("evaluate at step 65: edge F1")),
                "the updated evaluation interval took effect: " + wf.status().completed());
        recordHistory("wf-train-pause");
        recordHistory("wf-train-pause/train");
    }

    @Test
    void cancelStopsGracefullyAfterACheckpointAndPublishesNothing() throws Exception {
        PipelineWorkflow wf = stub("wf-train-cancel");
        io.temporal.client.WorkflowClient.start(wf::run, training("cancelled", 200));
        await(() -> wf.status().training() != null, "training progress");
        wf.cancel("operator test");
        WorkflowFailedException e = assertThrows(WorkflowFailedException.class,
                () -> io.temporal.client.WorkflowStub.fromTyped(wf).getResult(PipelineResult.class));
        ApplicationFailure cause = (ApplicationFailure) e.getCause();
        assertEquals("Cancelled", cause.getType());
        assertTrue(cause.getOriginalMessage().contains("operator test") && cause.getOriginalMessage().contains("last checkpoint"),
                cause.getOriginalMessage());
        PipelineStatus st = wf.status();
        assertEquals(Stage.CANCELLED, st.state().stage());
        assertTrue(st.training().step() < 200);
        assertTrue(store.list("runs/wf-train-cancel/").stream().anyMatch(k -> k.contains("/train/checkpoints/") && k.endsWith("state.json")));
        assertTrue(store.list("models/cancelled/").isEmpty(), "nothing published");
        var child = env.getWorkflowClient().getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
                io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest.newBuilder().setNamespace(env.getNamespace())
                        .setExecution(io.temporal.api.common.v1.WorkflowExecution.newBuilder().setWorkflowId("wf-train-cancel/train")).build());
        assertEquals(io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
                child.getWorkflowExecutionInfo().getStatus(), "the training child was cancelled after its checkpoint");
        recordHistory("wf-train-cancel");
        recordHistory("wf-train-cancel/train");
    }

    static PipelineInput retraining(List<String> sources, boolean onlyNew, boolean continueFrom) {
        return Inputs.of("name", "retrain", "sources", sources, "resolution", 64, "trainSteps", 8, "batchSize", 4, "learningRate", 1e-3,
                "seed", 3, "checkpointEvery", 5, "evalSamples", 2, "evalSteps", 3, "probeEvery", 6, "promotionTolerance", 1.0,
                "onlyNewData", onlyNew, "continueFromLatest", continueFrom);
    }

    @Test
    @SuppressWarnings("unchecked")
    void retrainingTakesOnlyNewImagesAndContinuesFromTheLatestVersion() {
        PipelineResult first = stub("wf-retrain-1").run(retraining(List.of(gallery.url()), false, false));
        assertEquals(gallery.goodImages(), first.imagesKept());
        String v1 = "models/retrain/" + first.version() + "/";
        assertEquals(gallery.goodImages(), Json.readLines(store.get(v1 + "training_data.jsonl"), Map.class).size(),
                "the version lists what it was trained on");

        PipelineResult second = stub("wf-retrain-2").run(retraining(List.of(gallery.url(), newGallery.url()), true, true));
        assertEquals(newGallery.goodImages(), second.imagesKept(), "only the new gallery's images are trained on");
        String run2 = "runs/wf-retrain-2/";
        Map<String, Object> clean = Json.read(store.get(onlyKey(run2, "/clean/report.json")), Map.class);
        assertEquals(gallery.goodImages(), ((Map<String, Integer>) clean.get("dropped")).get("ALREADY_TRAINED"));
        String metrics = new String(store.get(onlyKey(run2, "/train/metrics.jsonl")));
        assertTrue(metrics.contains("\"kind\":\"init\"") && metrics.contains(v1 + ModelRegistry.WEIGHTS_FILE),
                "training started from the latest version's weights");
        String v2 = "models/retrain/" + second.version() + "/";
        assertEquals(gallery.goodImages() + newGallery.goodImages(), Json.readLines(store.get(v2 + "training_data.jsonl"), Map.class).size(),
                "a continued version carries the data of the one it continued from");

        WorkflowFailedException nothingNew = assertThrows(WorkflowFailedException.class,
                () -> stub("wf-retrain-3").run(retraining(List.of(gallery.url(), newGallery.url()), true, true)));
        ApplicationFailure cause = (ApplicationFailure) nothingNew.getCause();
        assertEquals("NoNewData", cause.getType(), cause.getOriginalMessage());
    }

    /**
     * A Stable Diffusion preset on a diffusers folder in object storage: the folder (tiny-sd shapes, weights of a
     * seeded init, written with the exact diffusers file and key names) is uploaded like a copy of
     * stable-diffusion-v1-5 would be, and the whole chain trains, evaluates and publishes a ControlNet for it.
     */
    @Test
    @Tag(BITWISE)
    @SuppressWarnings("unchecked")
    void stableDiffusionPresetTrainsOnADiffusersFolderFromObjectStorage() throws Exception {
        dev.cnf.model.config.StableDiffusionConfig sd = dev.cnf.model.config.StableDiffusionConfig.tinySd();
        Path folder = dev.cnf.model.TinySdFolder.write(dataDir.resolve("tiny-sd-base"), 21);
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(folder)) {
            for (Path f : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                store.putFile("bases/tiny-sd/" + folder.relativize(f).toString().replace('\\', '/'), f, "application/octet-stream");
            }
        }
        String base = "s3://" + store.bucket() + "/bases/tiny-sd/";

        // 16 words but 88 letters: within the tiny preset's 77 words, over the 75 tokens this base's byte-level CLIP tokenizer allows
        String prompt = "a professional detailed high quality photograph of a bright red circle drawn on a plain white background";
        PipelineResult r = stub("wf-tiny-sd").run(Inputs.of("name", "sd-canny", "modelConfig", "tiny-sd", "baseModel", base, "resolution", 64,
                "trainSteps", 4, "batchSize", 2, "learningRate", 1e-4, "seed", 5, "checkpointEvery", 2, "evalSamples", 2, "evalSteps", 2,
                "probeEvery", 2, "captioner", "template", "defaultPrompt", prompt));
        String run = "runs/wf-tiny-sd/";
        List<Sample> captioned = Json.readLines(store.get(onlyKey(run, "/caption/samples.jsonl")), Sample.class);
        assertTrue(captioned.stream().allMatch(c -> c.captionTruncated() && c.caption().length() < prompt.length() && prompt.startsWith(c.caption())),
                "fitted to the base's own tokenizer (75 tokens besides start and end): " + captioned.get(0).caption());
        assertTrue(store.list(run).stream().anyMatch(k -> k.endsWith("/train/checkpoints/step-00000004/optimizer.safetensors")));
        String dir = store.keyOf(r.modelUri());
        Map<String, Object> config = Json.read(store.get(dir + "config.json"), Map.class);
        assertEquals("ControlNetModel", config.get("_class_name"));
        assertEquals(sd.unet().crossAttentionDim(), ((Number) config.get("cross_attention_dim")).intValue(), "the base's shapes");
        Map<String, Object> card = Json.read(store.get(dir + "model_card.json"), Map.class);
        assertEquals(base, card.get("baseModel"));
        assertTrue(String.valueOf(card.get("baseModelSha256")).matches("[0-9a-f]{64}"), card.toString());
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
            assertEquals(card.get("baseModelSha256"), dev.cnf.activities.models.BaseModels.load(folder.toString(), "tiny-sd", 64, store, m).sha256(),
                    "the same folder on a worker's disk loads too, and is identified by its content wherever it is");
        }
        List<Map<String, Object>> files = (List<Map<String, Object>>) Json.read(store.get(dir + "manifest.json"), Map.class).get("files");
        assertTrue(files.stream().anyMatch(f -> "control_sd-canny.safetensors".equals(f.get("path"))),
                "an SD-shaped ControlNet also gets the original single-file layout: " + files);
        diffusersRunsWhatWasPublished(folder, dir);

        // mixed precision: the base in fp16 (a float32 ControlNet trained through fp16 copies), its own encoder cache entries
        PipelineResult half = stub("wf-tiny-sd-fp16").run(Inputs.of("name", "sd-canny-fp16", "modelConfig", "tiny-sd", "baseModel", base,
                "trainSteps", 2, "batchSize", 2, "learningRate", 1e-4, "seed", 5, "checkpointEvery", 2, "evalSamples", 2, "evalSteps", 2,
                "probeEvery", 2, "captioner", "template", "precision", "fp16"));
        assertTrue(half.modelUri().contains("sd-canny-fp16"));
        String sha = String.valueOf(card.get("baseModelSha256"));
        assertTrue(store.list("cache/" + sha + "/").stream().anyMatch(k -> k.startsWith("cache/" + sha + "/64-fp16/latents/")),
                "fp16 latents are cached apart from the float32 ones");
        // a second run on the same data takes every encoding from the first run's cache: the VAE and CLIP run no more
        PipelineResult again = stub("wf-tiny-sd-again").run(Inputs.of("name", "sd-canny-again", "modelConfig", "tiny-sd", "baseModel", base,
                "resolution", 64, "trainSteps", 2, "batchSize", 2, "learningRate", 1e-4, "seed", 5, "checkpointEvery", 2, "evalSamples", 2,
                "evalSteps", 2, "probeEvery", 2, "captioner", "template", "defaultPrompt", prompt));
        Map<String, Object> cached = cacheRow(again, "wf-tiny-sd-again");
        assertTrue(((Number) cached.get("latentHits")).intValue() > 0, cached.toString());
        assertEquals(0, ((Number) cached.get("latentMisses")).intValue(), "every latent from the cache: " + cached);
        assertEquals(0, ((Number) cached.get("textMisses")).intValue(), "no prompt encoded again: " + cached);
        assertEquals(true, cached.get("latentsStored"));
        assertTrue(store.list("cache/" + sha + "/").stream().anyMatch(k -> k.startsWith("cache/" + sha + "/64/latents/")),
                "content-addressed under cache/<base>/<resolution>/");

        // bf16 where this worker's DJL JNI cannot hold it: refused by the train activity, naming the way out
        if (!"true".equalsIgnoreCase(System.getenv(dev.cnf.model.train.Precision.BF16_JNI_ENV))) {
            WorkflowFailedException bf16 = assertThrows(WorkflowFailedException.class, () -> stub("wf-tiny-sd-bf16").run(Inputs.of(
                    "modelConfig", "tiny-sd", "baseModel", base, "trainSteps", 2, "batchSize", 2, "evalSamples", 2, "precision", "bf16")));
            assertTrue(String.valueOf(rootMessage(bf16)).contains("precision bf16 on this worker") && rootMessage(bf16).contains("build-djl-jni.sh"),
                    String.valueOf(rootMessage(bf16)));
        }

        // a folder that is not there fails before any work, naming what is missing
        WorkflowFailedException missing = assertThrows(WorkflowFailedException.class, () -> stub("wf-tiny-sd-missing").run(
                Inputs.of("modelConfig", "tiny-sd", "baseModel", "s3://" + store.bucket() + "/bases/nothing-here/")));
        assertTrue(String.valueOf(rootMessage(missing)).contains("bases/nothing-here/ lacks unet/config.json, vae/config.json, text_encoder/config.json, tokenizer/vocab.json, tokenizer/merges.txt"), String.valueOf(rootMessage(missing)));
    }

    static String rootMessage(Throwable t) {
        String message = t.getMessage();
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ApplicationFailure a) {
                message = a.getOriginalMessage();
            }
        }
        return message;
    }

    static StudyWorkflow studyStub(String id) {
        return env.getWorkflowClient().newWorkflowStub(StudyWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.CPU).setWorkflowId(id).build());
    }

    /**
     * CI's smoke study: two variants (zero and Gaussian joins), one seed, a few dozen steps. One run prepares the dataset;
     * both arms train on it (no ingestion of their own); the report compares them.
     */
    @Test
    @SuppressWarnings("unchecked")
    void aStudyRunsEachArmOnOneSharedDatasetAndComparesThem() throws Exception {
        Map<String, Object> base = new java.util.LinkedHashMap<>(Map.of("name", "study", "resolution", 64, "trainSteps", 24, "batchSize", 4,
                "learningRate", 1e-3, "probeEvery", 6, "checkpointEvery", 12, "evalSamples", 2, "evalSteps", 3));
        StudyInput in = StudyInput.fromJson(Map.of("base", base, "seeds", List.of(1), "parallelArms", 1, "variants", List.of(
                Map.of("name", "zero"), Map.of("name", "gaussian", "set", Map.of("zeroConvInit", "gaussian")))));
        StudyWorkflow.Result r = studyStub("study-smoke").run(in);
        assertEquals(0, r.failed(), r.toString());
        assertEquals(List.of("zero-s1", "gaussian-s1"), r.arms().stream().map(StudyActivities.Arm::name).toList());
        assertEquals("study-smoke/prepare", r.dataset().preparedBy());
        assertFalse(store.list("runs/study-smoke/prepare/").stream().noneMatch(k -> k.contains("/ingest/")), "the preparing run ingested");
        for (StudyActivities.Arm arm : r.arms()) {
            List<String> stages = store.list("runs/" + arm.workflowId() + "/").stream()
                    .map(k -> k.substring(("runs/" + arm.workflowId() + "/").length()).split("/")).filter(p -> p.length > 1).map(p -> p[1])
                    .distinct().sorted().toList();
            assertEquals(List.of("evaluate", "train"), stages, arm.name() + " prepared nothing of its own");
            assertTrue(store.exists(store.keyOf(arm.modelUri()) + "manifest.json"), arm.modelUri());
        }

        Map<String, Object> report = Json.read(store.get(store.keyOf(r.reportJsonUri())), Map.class);
        List<Map<String, Object>> arms = (List<Map<String, Object>>) report.get("arms");
        assertEquals(2, arms.size());
        Map<String, Object> zero = arms.get(0), gaussian = arms.get(1);
        assertEquals(0.0, ((Number) ((Map<String, Object>) zero.get("baseDeviation")).get("maxAbs")).doubleValue(), "zero joins: the base, exactly");
        assertTrue(((Number) ((Map<String, Object>) gaussian.get("baseDeviation")).get("rms")).doubleValue() > 1e-3, gaussian.toString());
        assertTrue(((Map<String, Object>) zero.get("edgeF1ByPromptMode")).containsKey("none"), "the no-prompt mode, for the dropout claim");
        assertEquals(5, ((List<?>) zero.get("probes")).size(), "probes at 0, 6, 12, 18, 24");
        List<Map<String, Object>> variants = (List<Map<String, Object>>) report.get("variants");
        assertEquals(List.of("zero", "gaussian"), variants.stream().map(v -> v.get("variant")).toList());
        assertEquals(1, ((Number) ((Map<String, Object>) variants.get(0).get("edgeF1")).get("n")).intValue());
        assertNotNull(report.get("detectorAgainstReference"));
        List<Map<String, Object>> alternatives = (List<Map<String, Object>>) report.get("detectorAlternatives");
        assertEquals(16, alternatives.size(), "the detector replayed with 4 jumps and persistence 1 to 4");
        assertEquals(1, alternatives.stream().filter(row -> Boolean.TRUE.equals(row.get("deployed"))).count());
        String html = new String(store.get(store.keyOf(r.reportUri())), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(html.contains("<h2>By variant</h2>") && html.contains("<svg") && html.contains("data:image/png;base64,"), "tables, curves, grid");
        assertEquals("done", env.getWorkflowClient().newWorkflowStub(StudyWorkflow.class, "study-smoke").status().stage());
        recordHistory("study-smoke");
        recordHistory("study-smoke/zero-s1");
    }

    @Test
    void anInvalidStudyFailsBeforeAnyChildStarts() {
        StudyInput bad = StudyInput.fromJson(Map.of("variants", List.of(Map.of("name", "g", "set", Map.of("zeroConvInit", "ones")))));
        WorkflowFailedException e = assertThrows(WorkflowFailedException.class, () -> studyStub("study-bad").run(bad));
        assertTrue(e.getCause().getMessage().contains("variant g: zeroConvInit 'ones'"), e.getCause().getMessage());
        assertTrue(store.list("runs/study-bad/").isEmpty(), "nothing was written");
    }

    static String onlyKey(String prefix, String suffix) {
        List<String> keys = store.list(prefix).stream().filter(k -> k.endsWith(suffix)).toList();
        assertEquals(1, keys.size(), "one " + suffix + " under " + prefix + ": " + keys);
        return keys.get(0);
    }

}
