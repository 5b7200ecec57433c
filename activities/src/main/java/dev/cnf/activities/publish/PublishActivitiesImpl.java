package dev.cnf.activities.publish;

import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workflows.stages.PublishActivities;
import io.temporal.failure.ApplicationFailure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Publishes {@code models/<name>/<version>/}: weights, config, card, report and metrics, each
 * re-read and checksum-verified after upload, then manifest.json (SHA-256 of every file) last,
 * then latest.json. A version whose manifest exists is never overwritten; a retry of the same
 * publication (same checksums) returns the existing one.
 */
public class PublishActivitiesImpl implements PublishActivities {
    public static final String WEIGHTS_FILE = "diffusion_pytorch_model.safetensors";
    private final ObjectStore store;

    public PublishActivitiesImpl(ObjectStore store) {
        this.store = store;
    }

    private record FileEntry(String path, String sha256, long bytes) {}

    @Override
    public Result publish(Request r) {
        String dir = "models/" + r.name() + "/" + r.version() + "/";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(WEIGHTS_FILE, store.get(r.weightsKey()));
        files.put("config.json", store.get(r.configKey()));
        files.put("model_card.json", Json.bytes(r.card()));
        files.put("report.html", store.get(r.reportKey()));
        files.put("metrics.json", store.get(r.evalMetricsKey()));
        List<FileEntry> entries = new ArrayList<>();
        files.forEach((path, bytes) -> entries.add(new FileEntry(path, ObjectStore.sha256(bytes), bytes.length)));
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("name", r.name());
        manifest.put("version", r.version());
        manifest.put("files", entries);
        byte[] manifestBytes = Json.bytes(manifest);
        String manifestKey = dir + "manifest.json";

        if (store.exists(manifestKey)) {
            if (ObjectStore.sha256(store.get(manifestKey)).equals(ObjectStore.sha256(manifestBytes))) {
                return result(dir); // this very publication already completed
            }
            throw ApplicationFailure.newNonRetryableFailure("version " + r.version() + " of " + r.name()
                    + " is already published with different content; versions are never overwritten", "VersionExists");
        }
        for (FileEntry e : entries) {
            byte[] bytes = files.get(e.path());
            store.put(dir + e.path(), bytes, contentType(e.path()));
            String reread = ObjectStore.sha256(store.get(dir + e.path()));
            if (!reread.equals(e.sha256())) {
                throw new IllegalStateException("checksum mismatch after upload of " + dir + e.path() + ": " + reread + " != " + e.sha256());
            }
        }
        store.put(manifestKey, manifestBytes, "application/json");
        Map<String, Object> latest = new LinkedHashMap<>();
        latest.put("version", r.version());
        latest.put("manifest", manifestKey);
        store.put("models/" + r.name() + "/latest.json", Json.bytes(latest), "application/json");
        return result(dir);
    }

    private Result result(String dir) {
        return new Result(store.uri(dir), store.uri(dir + "manifest.json"), store.uri(dir + "report.html"));
    }

    private static String contentType(String path) {
        if (path.endsWith(".json")) {
            return "application/json";
        }
        if (path.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        return "application/octet-stream";
    }
}
