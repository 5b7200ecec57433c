package dev.cnf.activities.clean;

import dev.cnf.activities.publish.ModelRegistry;
import dev.cnf.activities.dataset.Drop;
import dev.cnf.activities.dataset.DropReason;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workflows.stages.CleanActivities;
import io.temporal.activity.Activity;
import org.opencv.core.Mat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decodes every fetched original with OpenCV, drops what cannot serve as training data (each with a
 * reason code), and writes the survivors as square PNGs at the training resolution.
 */
public class CleanActivitiesImpl implements CleanActivities {
    private final ObjectStore store;

    public CleanActivitiesImpl(ObjectStore store) {
        OpenCv.load();
        this.store = store;
    }

    @Override
    public Result clean(Request r) {
        long started = System.nanoTime();
        List<Sample> items = SampleTables.read(store, r.itemsKey());
        List<Sample> kept = new ArrayList<>();
        List<Drop> drops = new ArrayList<>();
        Set<String> hashes = new HashSet<>();
        Set<String> trained = r.skipTrainedBy() == null ? Set.of() : new ModelRegistry(store).trainedHashes(r.skipTrainedBy());
        int done = 0;
        for (Sample s : items) {
            Activity.getExecutionContext().heartbeat(done++);
            if (!hashes.add(s.sha256())) {
                drops.add(new Drop(s.sourceUrl(), DropReason.DUPLICATE, "same bytes as an earlier image"));
                continue;
            }
            if (trained.contains(s.sha256())) {
                drops.add(new Drop(s.sourceUrl(), DropReason.ALREADY_TRAINED, "in the training data of " + r.skipTrainedBy() + "'s latest version"));
                continue;
            }
            Mat img = OpenCv.decodeBgr(store.get(s.rawKey()));
            if (img.empty()) {
                drops.add(new Drop(s.sourceUrl(), DropReason.DECODE_ERROR, "OpenCV could not decode " + s.bytes() + " bytes"));
                continue;
            }
            if (Math.min(img.cols(), img.rows()) < r.minSide()) {
                drops.add(new Drop(s.sourceUrl(), DropReason.TOO_SMALL,
                        img.cols() + "x" + img.rows() + " has a side under " + r.minSide()));
                continue;
            }
            Mat square = OpenCv.resizeCenterCrop(img, r.resolution());
            String key = r.runPrefix() + "/clean/" + s.sha256() + ".png";
            store.put(key, OpenCv.encodePng(square), "image/png");
            kept.add(s.withImage(key, img.cols(), img.rows()));
        }
        String samplesKey = r.runPrefix() + "/clean/samples.jsonl";
        SampleTables.write(store, samplesKey, kept);
        Map<String, Integer> dropped = Drop.countByReason(drops);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("seen", items.size());
        report.put("kept", kept.size());
        report.put("dropped", dropped);
        report.put("drops", drops);
        String reportKey = r.runPrefix() + "/clean/report.json";
        store.put(reportKey, Json.bytes(report), "application/json");
        dev.cnf.activities.StageMetrics.throughput("clean", items.size(), started);
        return new Result(items.size(), kept.size(), dropped, samplesKey, reportKey);
    }
}
