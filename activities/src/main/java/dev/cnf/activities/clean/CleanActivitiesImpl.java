package dev.cnf.activities.clean;

import dev.cnf.activities.StageMetrics;
import dev.cnf.activities.conditions.ConditionRunner;
import dev.cnf.activities.dataset.Drop;
import dev.cnf.activities.dataset.DropReason;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.imaging.ImageDecoder;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.imaging.PerceptualHash;
import dev.cnf.activities.registry.RunKeys;
import dev.cnf.activities.registry.ModelRegistry;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workflows.spec.AspectBuckets;
import dev.cnf.workflows.spec.DataSpec;
import dev.cnf.workflows.stages.CleanActivities;
import io.temporal.activity.Activity;
import org.opencv.core.Mat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Per shard: decodes every fetched original (header checked first, see {@link ImageDecoder}; an imported pair's condition
 * too, which must have its image's size and be grey or RGB, and is then resized and cropped as its image), drops
 * what cannot serve as training data with a reason code, and writes the survivors as square JPEGs (or PNGs,
 * {@link DataSpec#imageFormat}) at the training resolution (with {@link DataSpec#aspectBuckets}, at their nearest
 * {@link AspectBuckets} size instead) with their perceptual hash and, when asked, the run's condition (extracted
 * here because the image is decoded here). Then, over all shards in order: exact and near
 * duplicates are dropped (the first copy stays) and the cleaning report is written, where
 * seen == kept + dropped counts every reference discovered.
 */
public class CleanActivitiesImpl implements CleanActivities {
    /**
     * Below this standard deviation (0-255) in each of its channels an image counts as flat: JPEG noise around one colour stays under
     * it, while a faint drawing (a 1-pixel line on an even background) is above it.
     */
    static final double FLAT_SPREAD = 2.0;

    private final ObjectStore store;

    public CleanActivitiesImpl(ObjectStore store) {
        OpenCv.load();
        this.store = store;
    }

    @Override
    public ShardResult cleanShard(ShardRequest r) {
        String base = shardBase(r.run().prefix(), r.shard());
        String resultKey = base + ".result.json";
        if (store.exists(resultKey)) {
            return Json.read(store.get(resultKey), ShardResult.class);
        }
        long started = System.nanoTime();
        List<Sample> items = SampleTables.read(store, r.itemsKey());
        String skipTrainedBy = r.data().onlyNewData() ? r.run().name() : null;
        Set<String> trained = skipTrainedBy == null ? Set.of() : new ModelRegistry(store).trainedHashes(skipTrainedBy);
        List<Sample> candidates = new ArrayList<>();
        List<Drop> drops = new ArrayList<>();
        Set<String> hashes = new HashSet<>();
        boolean png = r.data().imageFormat().equals("png"); // else JPEG (DataSpec.imageFormat)
        int done = 0;
        boolean given = r.data().paired(); // the pairs bring their conditions: none is extracted
        AspectBuckets buckets = AspectBuckets.of(r.data(), r.model());
        try (ConditionRunner conditions = r.conditioning() == null || given ? null
                : ConditionRunner.open(r.conditioning().condition(), r.conditioning().annotatorModel(), store)) {
            for (Sample s : items) {
                Activity.getExecutionContext().heartbeat(done++);
                if (!hashes.add(s.sha256())) {
                    drops.add(new Drop(s.sourceUrl(), DropReason.DUPLICATE, "same bytes as an earlier image"));
                    continue;
                }
                if (trained.contains(s.sha256())) {
                    drops.add(new Drop(s.sourceUrl(), DropReason.ALREADY_TRAINED, "in the training data of " + skipTrainedBy + "'s latest version"));
                    continue;
                }
                // a pair's image is decoded whole, so that image and condition are cropped on the same pixel grid
                ImageDecoder.Decoded decoded = ImageDecoder.decode(store.getContentAddressed(s.rawKey()), r.data().maxPixels(),
                        s.givenConditionKey() != null ? 0 : r.model().resolution());
                if (!decoded.ok()) {
                    drops.add(new Drop(s.sourceUrl(), decoded.failure(), decoded.detail()));
                    continue;
                }
                Mat img = decoded.bgr(); // a large JPEG comes reduced, still at least the resolution on its shorter side
                int w = decoded.width(), h = decoded.height();
                if (Math.min(w, h) < r.data().minSide()) {
                    drops.add(new Drop(s.sourceUrl(), DropReason.TOO_SMALL, w + "x" + h + " has a side under " + r.data().minSide()));
                    continue;
                }
                double aspect = (double) Math.max(w, h) / Math.min(w, h);
                if (aspect > r.data().maxAspectRatio()) {
                    drops.add(new Drop(s.sourceUrl(), DropReason.BAD_ASPECT,
                            String.format("%dx%d has aspect ratio %.2f, over %.2f", w, h, aspect, r.data().maxAspectRatio())));
                    continue;
                }
                double spread = ImageDecoder.colourSpread(img);
                if (spread < FLAT_SPREAD) {
                    drops.add(new Drop(s.sourceUrl(), DropReason.FLAT_IMAGE,
                            String.format("%dx%d is flat: its channels' largest standard deviation is %.2f, under %.1f", w, h, spread, FLAT_SPREAD)));
                    continue;
                }
                Mat givenCondition = null;
                if (s.givenConditionKey() != null) {
                    ImageDecoder.Decoded c = ImageDecoder.decodeCondition(store.getContentAddressed(s.givenConditionKey()), r.data().maxPixels());
                    if (!c.ok()) {
                        drops.add(new Drop(s.sourceUrl(), c.failure(), c.detail()));
                        continue;
                    }
                    if (c.width() != w || c.height() != h) {
                        drops.add(new Drop(s.sourceUrl(), DropReason.CONDITION_SIZE_MISMATCH, "the condition is " + c.width() + "x"
                                + c.height() + ", its image " + w + "x" + h + "; give the condition at its image's size"));
                        continue;
                    }
                    givenCondition = c.bgr();
                }
                String phash = PerceptualHash.signature(img);
                AspectBuckets.Size bucket = buckets.nearest(w, h); // the square unless aspectBuckets
                Mat sized = OpenCv.resizeCenterCrop(img, bucket.width(), bucket.height());
                String key = r.run().prefix() + "/clean/" + s.sha256() + (png ? ".png" : ".jpg");
                store.put(key, png ? OpenCv.encodePng(sized) : OpenCv.encodeJpeg(sized, DataSpec.JPEG_QUALITY), png ? "image/png" : "image/jpeg");
                Sample kept = s.withImage(key, w, h, phash);
                if (givenCondition != null) {
                    // resized and cropped exactly as the image; stored where an extracted condition would be
                    Mat map = OpenCv.resizeCenterCrop(givenCondition, bucket.width(), bucket.height());
                    String conditionKey = ConditionRunner.key(r.run().prefix(), r.conditioning().condition(), s.sha256());
                    Mat stored = OpenCv.greyIfNeutral(map); // 8-bit grey, or 1-bit when binary
                    store.put(conditionKey, OpenCv.encodeCompactPng(stored), "image/png");
                    stored.release();
                    map.release();
                    givenCondition.release();
                    candidates.add(kept.withCondition(conditionKey, Map.of("given", true)));
                } else {
                    // the condition from the image in hand: the condition stage then has nothing to decode
                    candidates.add(conditions == null ? kept : conditions.apply(kept, sized, r.run().prefix(), r.run().seed()));
                }
                sized.release();
                img.release();
            }
        }
        String candidatesKey = candidatesKey(r.run().prefix(), r.shard());
        SampleTables.write(store, candidatesKey, candidates);
        String dropsKey = dropsKey(r.run().prefix(), r.shard());
        store.put(dropsKey, Json.lines(drops), "application/x-ndjson");
        ShardResult result = new ShardResult(r.shard(), items.size(), candidates.size(), Drop.countByReason(drops), candidatesKey, dropsKey);
        store.put(resultKey, Json.bytes(result), "application/json"); // last: its presence means the shard is done
        StageMetrics.throughput("clean", items.size(), started);
        return result;
    }

    /** Where shard {@code shard} of a run keeps its cleaning results; cleanShard writes and dedupe reads these keys. */
    private static String shardBase(String runPrefix, int shard) {
        return String.format("%s/clean/shards/shard-%05d", runPrefix, shard);
    }

    static String candidatesKey(String runPrefix, int shard) {
        return shardBase(runPrefix, shard) + ".candidates.jsonl";
    }

    static String dropsKey(String runPrefix, int shard) {
        return shardBase(runPrefix, shard) + ".drops.jsonl";
    }

    /**
     * Over all shards, in bounded memory ({@link ExternalDedupe}): the candidates are read twice from object storage,
     * once to partition them on local disk and once, after the verdicts, to write the kept ones; samples, drops and the
     * report are streamed through local files, never held as lists.
     */
    @Override
    public Result dedupe(DedupeRequest r) {
        List<String> dropsKeys = new ArrayList<>(r.dropsKeys());
        List<String> candidatesKeys = new ArrayList<>();
        for (int shard = 0; shard < r.shards(); shard++) {
            dropsKeys.add(RunKeys.ingestDrops(r.run().prefix(), shard));
            dropsKeys.add(dropsKey(r.run().prefix(), shard));
            candidatesKeys.add(candidatesKey(r.run().prefix(), shard));
        }
        int near = r.data().nearDuplicateDistance();
        Path work = Path.of(System.getProperty("java.io.tmpdir"));
        try (ExternalDedupe dedupe = new ExternalDedupe(work, r.seen(), near);
             Spill samples = new Spill(work); Spill drops = new Spill(work); Spill report = new Spill(work)) {
            for (String key : candidatesKeys) {
                Activity.getExecutionContext().heartbeat("partitioning " + dedupe.size() + " candidates");
                for (Sample s : SampleTables.read(store, key)) {
                    dedupe.add(s.sha256(), near >= 0 ? s.phash() : null, s.sourceUrl());
                }
            }
            dedupe.decide(partition -> Activity.getExecutionContext().heartbeat("deciding, partition " + partition));
            Map<String, Integer> dropped = new TreeMap<>();
            for (String key : dropsKeys) {
                for (Drop d : Json.readLines(store.get(key), Drop.class)) {
                    drops.write(d);
                    dropped.merge(d.reason().name(), 1, Integer::sum);
                }
            }
            int kept = 0;
            for (String key : candidatesKeys) {
                Activity.getExecutionContext().heartbeat("writing, " + kept + " kept");
                for (Sample s : SampleTables.read(store, key)) {
                    ExternalDedupe.Verdict v = dedupe.verdict();
                    if (v.kept()) {
                        samples.write(s);
                        kept++;
                        continue;
                    }
                    drops.write(new Drop(s.sourceUrl(), v.reason(), v.reason() == DropReason.DUPLICATE
                            ? "same bytes as " + v.referenceUrl() : "looks like " + v.referenceUrl() + " (pHash distance " + v.distance() + ")"));
                    dropped.merge(v.reason().name(), 1, Integer::sum);
                }
            }
            int droppedCount = dropped.values().stream().mapToInt(Integer::intValue).sum();
            if (kept + droppedCount != r.seen()) {
                throw new IllegalStateException("cleaning report does not balance: seen " + r.seen() + " != kept " + kept
                        + " + dropped " + droppedCount + "; a stage lost or double-counted items");
            }
            String samplesKey = r.run().prefix() + "/clean/samples.jsonl";
            store.putFile(samplesKey, samples.finish(), "application/x-ndjson");
            String reportKey = r.run().prefix() + "/clean/report.json";
            store.putFile(reportKey, report.writeReport(r.seen(), kept, dropped, drops.finish()), "application/json");
            return new Result(r.seen(), kept, dropped, samplesKey, reportKey);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
