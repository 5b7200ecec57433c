package dev.cnf.workers.train;

import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.ShardIndex;
import dev.cnf.activities.dataset.WebDataset;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.registry.RunKeys;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.train.ShardStream;
import dev.cnf.model.train.TrainingPair;
import dev.cnf.model.train.TrainingSet;
import dev.cnf.workers.embedded.EmbeddedS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Training streams the condition stage's WebDataset shards from a real S3 endpoint (S3Proxy on loopback): every epoch
 * hands out each training row once with that row's own image, condition and caption, never a held-out row; the buffer
 * bounds what is held; and a stream opened mid-epoch (a resumed attempt) continues exactly as the uninterrupted one.
 */
class ShardStreamTest {
    private static final int SAMPLES = 1_210; // three shards of 500, 500 and 210
    private static final int HELD_OUT = 10;
    private static final int TRAIN = SAMPLES - HELD_OUT;
    private static final String RUN = "runs/stream/1";
    @TempDir
    static Path dir;
    static EmbeddedS3 s3;
    static ObjectStore store;
    static final Map<String, byte[]> FILES = new HashMap<>();
    static final List<Sample> TABLE = new ArrayList<>();
    static ShardIndex index;

    @BeforeAll
    static void writeDataset() throws Exception {
        OpenCv.load();
        s3 = EmbeddedS3.start(dir.resolve("s3"));
        store = new ObjectStore(s3.config("stream"));
        store.ensureBucket();
        for (int row = 0; row < SAMPLES; row++) {
            String id = String.format("%016x", 0x5EED0000L + row);
            Mat image = new Mat(8, 8, CvType.CV_8UC3, new Scalar(row % 256, row / 256, 40));
            Mat condition = new Mat(8, 8, CvType.CV_8UC3, new Scalar((row * 7) % 256, (row * 7) % 256, (row * 7) % 256));
            FILES.put("clean/" + id + ".png", OpenCv.encodePng(image));
            FILES.put("condition/canny/" + id + ".png", OpenCv.encodePng(condition));
            TABLE.add(new Sample(id, "http://127.0.0.1/" + id, null, null, null, id + id + id + id, null, 0, "clean/" + id + ".png", 8, 8,
                    "caption of row " + row, "alt", false, "condition/canny/" + id + ".png", Map.of(), null));
        }
        WebDataset.write(store, RunKeys.dataset(RUN), "canny", TABLE, FILES::get, () -> { });
        index = ShardIndex.read(store, RunKeys.datasetShardsOf(RunKeys.conditionTable(RUN)));
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
    }

    @Test
    void theIndexNamesEveryShardAndItsSamples() {
        assertEquals(SAMPLES, index.samples());
        assertEquals(List.of(500, 500, 210), index.shards().stream().map(ShardIndex.Shard::samples).toList());
        assertEquals("canny", index.condition());
        index.shards().forEach(s -> assertTrue(store.exists(s.key()), s.key()));
    }

    @Test
    void everyEpochHandsOutEachTrainingRowOnceWithItsOwnFilesAndNeverAHeldOutOne() {
        int buffer = 100;
        try (ShardStream stream = new ShardStream(store, index, TRAIN, buffer)) {
            for (int epoch = 0; epoch < 2; epoch++) {
                Set<Integer> seen = new HashSet<>();
                for (int i = 0; i < TRAIN; i++) {
                    TrainingPair p = stream.at(5, (long) epoch * TRAIN + i);
                    assertTrue(p.row() < TRAIN, "held-out row " + p.row() + " handed out for training");
                    assertTrue(seen.add(p.row()), "row " + p.row() + " twice in epoch " + epoch);
                    assertPairIsRow(p, p.row());
                    assertTrue(stream.held() <= buffer, "held " + stream.held() + " samples with a buffer of " + buffer);
                }
                assertEquals(TRAIN, seen.size());
            }
        }
    }

    @Test
    void aStreamOpenedMidEpochContinuesBitForBit() {
        int buffer = 64;
        List<TrainingPair> uninterrupted = new ArrayList<>();
        try (ShardStream stream = new ShardStream(store, index, TRAIN, buffer)) {
            for (long position = 0; position < 2L * TRAIN + 300; position++) {
                uninterrupted.add(stream.at(9, position));
            }
        }
        for (long resumeAt : new long[] {1, 499, 777, TRAIN, TRAIN + 650, 2L * TRAIN + 17}) {
            try (ShardStream resumed = new ShardStream(store, index, TRAIN, buffer)) {
                for (long position = resumeAt; position < Math.min(resumeAt + 120, uninterrupted.size()); position++) {
                    TrainingPair a = uninterrupted.get((int) position);
                    TrainingPair b = resumed.at(9, position);
                    assertEquals(a.row(), b.row(), "position " + position + " resumed at " + resumeAt);
                    assertArrayEquals(a.image(), b.image());
                    assertArrayEquals(a.condition(), b.condition());
                    assertEquals(a.caption(), b.caption());
                }
            }
        }
    }

    @Test
    void anotherSeedIsAnotherOrderAndTheHeldOutRowsAreReadAsTheyAre() {
        try (ShardStream stream = new ShardStream(store, index, TRAIN, 100)) {
            List<Integer> a = new ArrayList<>();
            List<Integer> b = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                a.add(stream.at(1, i).row());
            }
            for (int i = 0; i < 50; i++) {
                b.add(stream.at(2, i).row());
            }
            assertNotEquals(a, b);
            TrainingSet heldOut = stream.rowsFrom(TRAIN);
            assertEquals(HELD_OUT, heldOut.size());
            for (int i = 0; i < HELD_OUT; i++) {
                assertPairIsRow(heldOut.pair(i), TRAIN + i);
            }
        }
    }

    private static void assertPairIsRow(TrainingPair p, int row) {
        Sample s = TABLE.get(row);
        assertArrayEquals(OpenCv.toChw(OpenCv.decodeBgr(FILES.get(s.imageKey())), -1f, 1f), p.image(), "row " + row + "'s image");
        assertArrayEquals(OpenCv.toChw(OpenCv.decodeBgr(FILES.get(s.conditionKey())), 0f, 1f), p.condition(), "row " + row + "'s condition");
        assertEquals(s.caption(), p.caption());
    }
}
