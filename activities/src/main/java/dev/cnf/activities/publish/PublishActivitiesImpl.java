package dev.cnf.activities.publish;

import dev.cnf.activities.registry.ModelRegistry;

import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.config.ControlNetConfig;
import dev.cnf.model.io.OriginalCheckpoint;
import dev.cnf.model.io.Safetensors;
import dev.cnf.workflows.stages.PublishActivities;
import io.temporal.failure.ApplicationFailure;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Publishes {@code models/<name>/<version>/} in diffusers' ControlNetModel layout ({@code config.json},
 * {@code diffusion_pytorch_model.safetensors}) with a model card ({@code README.md}, {@code model_card.json}),
 * the report, the metrics and {@code SHA256SUMS}; each object is re-read and checksum-verified after
 * upload, then {@code manifest.json} is written last. A version whose manifest exists is never
 * overwritten; a retry of the same publication finishes it. The promotion gate decides whether
 * {@code latest.json} moves to the new version: only if its held-out edge F1 is no worse than the
 * current latest's minus the tolerance; otherwise the version stays a candidate, with the reason in
 * its manifest and card.
 */
public class PublishActivitiesImpl implements PublishActivities {
    public static final String SUMS_FILE = "SHA256SUMS";
    private final ObjectStore store;
    private final ModelRegistry registry;

    public PublishActivitiesImpl(ObjectStore store) {
        this.store = store;
        this.registry = new ModelRegistry(store);
    }

    record FileEntry(String path, String sha256, long bytes) {}

    /** The gate's verdict. */
    record Decision(boolean promoted, String reason, String previousVersion, GateMetric metric, Double previousValue) {}

    /**
     * What the gate compares: the condition's own controllability measure where the run had an annotator
     * (depth RMSE, lower is better; segmentation mIoU), else edge F1. The tolerance is a fraction of the
     * metric's full scale (1 for F1 and mIoU, 255 for RMSE on 0-255 depth maps).
     */
    record GateMetric(String key, String label, boolean higherIsBetter, double fullScale) {
        static final GateMetric EDGE_F1 = new GateMetric("edgeF1", "held-out edge F1", true, 1);

        static GateMetric of(Map<String, Object> metrics) {
            if (metrics.get("depthRMSE") != null) {
                return new GateMetric("depthRMSE", "held-out depth RMSE", false, 255);
            }
            if (metrics.get("segMIoU") != null) {
                return new GateMetric("segMIoU", "held-out segmentation mIoU", true, 1);
            }
            return EDGE_F1;
        }

        double value(Map<String, Object> metrics) {
            return Double.parseDouble(String.valueOf(metrics.get(key)));
        }

        boolean noWorse(double value, double previous, double tolerance) {
            double slack = tolerance * fullScale;
            return higherIsBetter ? value >= previous - slack : value <= previous + slack;
        }
    }

    /**
     * A file of the version: small ones in memory; the weights (an SD1.5 ControlNet is 1.45 GB, a large-mode
     * base UNet 3.4 GB) as local files, streamed from and to storage and hashed as streams, so publishing
     * never holds a model in the Java heap.
     */
    private interface Blob {
        long size();

        String sha256();

        void upload(ObjectStore store, String key, String contentType);
    }

    private record InMemory(byte[] bytes, String sha256) implements Blob {
        InMemory(byte[] bytes) {
            this(bytes, ObjectStore.sha256(bytes));
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public void upload(ObjectStore store, String key, String contentType) {
            store.put(key, bytes, contentType);
        }
    }

    private record OnDisk(Path file, String sha256, long size) implements Blob {
        static OnDisk of(Path file) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                return new OnDisk(file, ObjectStore.sha256(in), Files.size(file));
            }
        }

        @Override
        public void upload(ObjectStore store, String key, String contentType) {
            store.putFile(key, file, contentType);
        }
    }

    @Override
    public Result publish(Request r) {
        Path work = null;
        try {
            work = Files.createTempDirectory("cnf-publish-");
            return publish(r, work);
        } catch (IOException e) {
            throw new UncheckedIOException("publishing " + r.run().name() + " " + r.version() + " failed", e);
        } finally {
            deleteTree(work);
        }
    }

    /** What the run produced, fetched for publication: the weights (and a large-mode base UNet) as local files. */
    private record Produced(OnDisk weights, byte[] config, byte[] report, byte[] metricsBytes, OnDisk baseUnet,
                            Map<String, Object> metrics) {}

    @SuppressWarnings("unchecked")
    private Produced fetch(Request r, Path work) throws IOException {
        Path weightsFile = work.resolve(ModelRegistry.WEIGHTS_FILE);
        store.getToFile(r.trained().weightsKey(), weightsFile);
        OnDisk baseUnet = null;
        if (r.trained().baseUnetKey() != null) {
            Path baseFile = work.resolve("base_unet.safetensors");
            store.getToFile(r.trained().baseUnetKey(), baseFile);
            baseUnet = OnDisk.of(baseFile);
        }
        byte[] metricsBytes = store.get(r.evaluated().evalMetricsKey());
        return new Produced(OnDisk.of(weightsFile), store.get(r.trained().configKey()), store.get(r.evaluated().reportKey()), metricsBytes,
                baseUnet, Json.read(metricsBytes, Map.class));
    }

    /**
     * What makes two publications "the same": the model, its evaluation and its card (which names the workflow run), not
     * the gate's verdict, which depends on when it was asked.
     */
    private static String contentId(Produced p, Map<String, Object> cardFields) {
        return ObjectStore.sha256((p.weights().sha256() + ObjectStore.sha256(p.config()) + ObjectStore.sha256(p.metricsBytes())
                + ObjectStore.sha256(p.report()) + (p.baseUnet() == null ? "" : p.baseUnet().sha256())
                + ObjectStore.sha256(Json.bytes(new java.util.TreeMap<>(cardFields)))).getBytes(StandardCharsets.UTF_8));
    }

    private Result publish(Request r, Path work) throws IOException {
        String name = r.run().name();
        String dir = ModelRegistry.dir(name, r.version());
        Produced produced = fetch(r, work);
        Map<String, Object> cardFields = ModelCard.fields(r);
        String contentId = contentId(produced, cardFields);
        String manifestKey = dir + "manifest.json";
        if (store.exists(manifestKey)) {
            return republished(name, r.version(), contentId, dir);
        }
        Decision decision = gate(name, r.version(), produced.metrics(), r.facts().input().publish().promotionTolerance());
        Map<String, Blob> files = new LinkedHashMap<>();
        files.put("config.json", new InMemory(produced.config()));
        files.put(ModelRegistry.WEIGHTS_FILE, produced.weights());
        if (produced.baseUnet() != null) {
            files.put(ModelRegistry.BASE_UNET_FILE, produced.baseUnet());
        }
        Map<String, Object> cardText = new LinkedHashMap<>(cardFields);
        String originalFile = originalLayoutFile(name);
        String originalSkipped = null;
        try {
            files.put(originalFile, OnDisk.of(originalLayout(produced.weights().file(), produced.config(), work.resolve(originalFile))));
            cardText.put("originalLayoutFile", originalFile);
        } catch (IllegalArgumentException e) {
            originalSkipped = e.getMessage(); // the diffusers folder is the product; the single file is a convenience
            cardText.put("originalLayoutSkipped", originalSkipped);
        }
        Map<String, Object> card = new LinkedHashMap<>(cardFields); // part of the content id
        card.put("status", decision.promoted() ? "latest" : "candidate");
        card.put("decision", decision.reason());
        files.put("README.md", new InMemory(ModelCard.markdown(cardText, produced.metrics(), decision).getBytes(StandardCharsets.UTF_8)));
        files.put("model_card.json", new InMemory(Json.bytes(card)));
        files.put("report.html", new InMemory(produced.report()));
        files.put("metrics.json", new InMemory(produced.metricsBytes()));
        if (r.samplesKey() != null) {
            // A version that continued from the latest one carries its data too: "new since the last version" stays true.
            boolean continued = r.facts().input().training().continueFromLatest();
            files.put(ModelRegistry.TRAINING_DATA, new InMemory(trainingData(r.samplesKey(), continued ? name : null)));
        }
        List<FileEntry> entries = uploadVerified(dir, files);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("name", name);
        manifest.put("version", r.version());
        manifest.put("format", "diffusers ControlNetModel");
        manifest.put("originalLayoutFile", originalSkipped == null ? originalFile : null);
        if (originalSkipped != null) {
            manifest.put("originalLayoutSkipped", originalSkipped);
        }
        manifest.put("status", decision.promoted() ? "latest" : "candidate");
        manifest.put("decision", decision.reason());
        manifest.put("previousLatest", decision.previousVersion());
        manifest.put("edgeF1", GateMetric.EDGE_F1.value(produced.metrics()));
        manifest.put("gateMetric", decision.metric().key());
        manifest.put("gateValue", decision.metric().value(produced.metrics()));
        manifest.put("contentId", contentId);
        manifest.put("files", entries);
        store.put(manifestKey, Json.bytes(manifest), "application/json"); // last: the version exists once this does
        if (decision.promoted()) {
            moveLatest(name, r.version(), manifestKey);
        }
        return result(dir, decision.promoted(), decision.reason());
    }

    /** A version already published: the same content finishes what an earlier attempt started; other content is refused. */
    private Result republished(String name, String version, String contentId, String dir) {
        Map<String, Object> existing = registry.manifest(name, version);
        if (!contentId.equals(existing.get("contentId"))) {
            throw ApplicationFailure.newNonRetryableFailure("version " + version + " of " + name
                    + " is already published with different content; versions are never overwritten", "VersionExists");
        }
        boolean promoted = "latest".equals(existing.get("status"));
        if (promoted) {
            moveLatest(name, version, dir + "manifest.json"); // the earlier attempt may have stopped before it
        }
        return result(dir, promoted, String.valueOf(existing.get("decision")));
    }

    /** Uploads every file and then SHA256SUMS, each re-read and checked against its checksum; the entries for the manifest. */
    private List<FileEntry> uploadVerified(String dir, Map<String, Blob> files) {
        List<FileEntry> entries = new ArrayList<>();
        files.forEach((path, blob) -> entries.add(new FileEntry(path, blob.sha256(), blob.size())));
        StringBuilder sums = new StringBuilder(); // sha256sum's format: `sha256sum -c SHA256SUMS` checks a download
        entries.forEach(e -> sums.append(e.sha256()).append("  ").append(e.path()).append('\n'));
        InMemory sumsFile = new InMemory(sums.toString().getBytes(StandardCharsets.UTF_8));
        files.put(SUMS_FILE, sumsFile);
        entries.add(new FileEntry(SUMS_FILE, sumsFile.sha256(), sumsFile.size()));
        for (FileEntry e : entries) {
            files.get(e.path()).upload(store, dir + e.path(), contentType(e.path()));
            String reread = store.sha256Of(dir + e.path()); // streamed: the re-read is never a second copy in memory
            if (!reread.equals(e.sha256())) {
                throw new IllegalStateException("checksum mismatch after upload of " + dir + e.path() + ": " + reread + " != " + e.sha256());
            }
        }
        return entries;
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary folder left behind is not worth failing a publication for
        }
    }

    /**
     * Provenance of every sample the run trained on after cleaning (where it came from, its hash, its
     * caption), plus, when the run continued from {@code continuedFrom}'s latest version, that version's list.
     */
    private byte[] trainingData(String samplesKey, String continuedFrom) {
        List<Map<String, Object>> rows = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        if (continuedFrom != null) {
            for (Map<String, Object> row : registry.latestTrainingData(continuedFrom)) {
                if (seen.add(String.valueOf(row.get("sha256")))) {
                    rows.add(row);
                }
            }
        }
        for (dev.cnf.activities.dataset.Sample s : dev.cnf.activities.dataset.SampleTables.read(store, samplesKey)) {
            if (!seen.add(s.sha256())) {
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("sha256", s.sha256());
            row.put("sourceUrl", s.sourceUrl());
            row.put("caption", s.caption());
            rows.add(row);
        }
        return Json.lines(rows);
    }

    /**
     * The promotion gate, against the current latest version: the new version's {@link GateMetric} may be
     * worse by at most the tolerance. When the latest version lacks that metric (another condition or an
     * older version) both are compared on edge F1, which every version has.
     */
    Decision gate(String name, String version, Map<String, Object> metrics, double tolerance) {
        GateMetric metric = GateMetric.of(metrics);
        Optional<String> latest = registry.latestVersion(name);
        if (latest.isEmpty()) {
            return new Decision(true, "first published version of " + name, null, metric, null);
        }
        if (latest.get().equals(version)) {
            return new Decision(true, "already the latest version", version, metric, metric.value(metrics));
        }
        Map<String, Object> previousMetrics = registry.metrics(name, latest.get());
        if (previousMetrics.get(metric.key()) == null) {
            metric = GateMetric.EDGE_F1;
        }
        double value = metric.value(metrics);
        double previous = previousMetrics.get(metric.key()) == null ? Double.NaN : metric.value(previousMetrics);
        String numbers = String.format("%s %.4f vs %.4f for latest %s (tolerance %.4f of full scale)",
                metric.label(), value, previous, latest.get(), tolerance);
        if (Double.isNaN(previous) || metric.noWorse(value, previous, tolerance)) {
            return new Decision(true, "promoted: " + numbers, latest.get(), metric, previous);
        }
        return new Decision(false, "kept as candidate: " + numbers, latest.get(), metric, previous);
    }

    /** The single file in ControlNet's original layout, named as lllyasviel's releases are (control_sd15_canny). */
    static String originalLayoutFile(String name) {
        return "control_" + name + ".safetensors";
    }

    /**
     * The weights renamed to the original layout ({@code control_model.*}) in {@code out}: a new header before the
     * same data bytes, copied file to file, so an SD-sized ControlNet is never decoded nor held in memory.
     *
     * @throws IllegalArgumentException when the ControlNet has parts the original layout has no place for
     */
    static Path originalLayout(Path diffusersWeights, byte[] config, Path out) {
        try {
            ControlNetConfig c = ControlNetConfig.fromJson(new String(config, StandardCharsets.UTF_8));
            Safetensors.renamed(diffusersWeights, out, k -> OriginalCheckpoint.originalControlName(k, c), Map.of("format", "pt"));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("the trained weights are unreadable", e);
        }
    }

    /** Points latest.json at this version unless a newer version (versions sort by time) already holds it. */
    private void moveLatest(String name, String version, String manifestKey) {
        Optional<String> current = registry.latestVersion(name);
        if (current.isPresent() && current.get().compareTo(version) > 0) {
            return;
        }
        Map<String, Object> latest = new LinkedHashMap<>();
        latest.put("version", version);
        latest.put("manifest", manifestKey);
        store.put(ModelRegistry.latestKey(name), Json.bytes(latest), "application/json");
    }

    private Result result(String dir, boolean promoted, String decision) {
        return new Result(store.uri(dir), store.uri(dir + "manifest.json"), store.uri(dir + "report.html"), promoted, decision);
    }

    private static String contentType(String path) {
        if (path.endsWith(".json")) {
            return "application/json";
        }
        if (path.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (path.endsWith(".md")) {
            return "text/markdown; charset=utf-8";
        }
        if (path.equals(SUMS_FILE)) {
            return "text/plain; charset=utf-8";
        }
        return "application/octet-stream";
    }
}
