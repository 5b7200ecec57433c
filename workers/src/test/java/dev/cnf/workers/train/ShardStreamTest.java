package dev.cnf.workers.train;

import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.ShardIndex;
import dev.cnf.activities.dataset.WebDataset;
import dev.cnf.activities.imaging.ImageHeader;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.registry.RunKeys;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.train.ShardStream;
import dev.cnf.model.BaseModel;
import dev.cnf.model.config.ModelConfig;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.train.DiffusionTrainer;
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
        WebDataset.write(store, RunKeys.dataset(RUN), "canny", TABLE, FILES::get, ImageHeader::size, () -> { });
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
        try (ShardStream stream = new ShardStream(store, index, TRAIN, buffer, 8)) {
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
        try (ShardStream stream = new ShardStream(store, index, TRAIN, buffer, 8)) {
            for (long position = 0; position < 2L * TRAIN + 300; position++) {
                uninterrupted.add(stream.at(9, position));
            }
        }
        for (long resumeAt : new long[] {1, 499, 777, TRAIN, TRAIN + 650, 2L * TRAIN + 17}) {
            try (ShardStream resumed = new ShardStream(store, index, TRAIN, buffer, 8)) {
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
        try (ShardStream stream = new ShardStream(store, index, TRAIN, 100, 8)) {
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

    /** A split cleaned into aspect buckets: rows of three sizes, so batches group by size. */
    @org.junit.jupiter.api.Nested
    class InAspectBuckets {
        static final String BUCKETED_RUN = "runs/stream/buckets";
        static final int[][] SIZES = {{8, 8}, {16, 8}, {8, 16}};
        final Map<String, byte[]> files = new HashMap<>();
        final List<Sample> table = new ArrayList<>();
        ShardIndex bucketed;

        @org.junit.jupiter.api.BeforeEach
        void write() {
            for (int row = 0; row < SAMPLES; row++) {
                String id = String.format("%016x", 0xB0C70000L + row);
                int[] size = SIZES[row % 7 < 4 ? 0 : row % 7 < 6 ? 1 : 2];
                Mat image = new Mat(size[1], size[0], CvType.CV_8UC3, new Scalar(row % 256, row / 256, 90));
                Mat condition = new Mat(size[1], size[0], CvType.CV_8UC3, new Scalar((row * 5) % 256, 0, 0));
                files.put("clean/" + id + ".png", OpenCv.encodePng(image));
                files.put("condition/canny/" + id + ".png", OpenCv.encodePng(condition));
                table.add(new Sample(id, "http://127.0.0.1/" + id, null, null, null, id + id + id + id, null, 0, "clean/" + id + ".png",
                        size[0], size[1], "bucketed row " + row, "alt", false, "condition/canny/" + id + ".png", Map.of(), null));
            }
            WebDataset.write(store, RunKeys.dataset(BUCKETED_RUN), "canny", table, files::get, ImageHeader::size, () -> { });
            bucketed = ShardIndex.read(store, RunKeys.datasetShardsOf(RunKeys.conditionTable(BUCKETED_RUN)));
        }

        @Test
        void theIndexNamesEachSamplesSize() {
            assertTrue(bucketed.bucketed());
            assertEquals(List.of("8x8", "16x8", "8x16"), bucketed.sizes());
            byte[] sizeOf = bucketed.sizeOfRows(SAMPLES);
            for (int row = 0; row < SAMPLES; row++) {
                assertEquals(table.get(row).width() + "x" + table.get(row).height(), bucketed.sizes().get(sizeOf[row]), "row " + row);
            }
            assertFalse(index.bucketed(), "a dataset of one size names no sizes per sample");
            assertNull(index.shards().get(0).sizeOf());
        }

        @Test
        void batchesAreOfOneSizeAndAnEpochHandsOutEveryRowOnceWithItsOwnFiles() {
            try (ShardStream stream = new ShardStream(store, bucketed, TRAIN, 100, 8)) {
                Set<Integer> seen = new HashSet<>();
                long batch = 0;
                while (seen.size() < TRAIN) {
                    List<TrainingPair> pairs = stream.batch(5, batch++, 8);
                    for (TrainingPair p : pairs) {
                        assertEquals(pairs.get(0).width(), p.width());
                        assertEquals(pairs.get(0).height(), p.height());
                        assertTrue(p.row() < TRAIN, "held-out row " + p.row());
                        assertTrue(seen.add(p.row()), "row " + p.row() + " twice");
                        Sample s = table.get(p.row());
                        assertEquals(s.width(), p.width());
                        assertEquals(s.height(), p.height());
                        assertArrayEquals(OpenCv.toChw(OpenCv.decodeBgr(files.get(s.imageKey())), -1f, 1f), p.image());
                        assertArrayEquals(OpenCv.toChw(OpenCv.decodeBgr(files.get(s.conditionKey())), 0f, 1f), p.condition());
                        assertEquals(s.caption(), p.caption());
                    }
                    assertTrue(stream.held() <= 100, "held " + stream.held());
                }
                TrainingSet heldOut = stream.rowsFrom(TRAIN);
                for (int i = 0; i < HELD_OUT; i++) {
                    assertEquals(table.get(TRAIN + i).width(), heldOut.width(i));
                    assertEquals(table.get(TRAIN + i).height(), heldOut.height(i));
                }
                assertEquals(3, heldOut.bySize().size(), "the held-out set in its three sizes");
            }
        }

        /**
         * The trainer on the bucketed stream keeps the bitwise promise: 3 steps, a checkpoint, a new trainer on a new
         * stream restored from it, 3 more steps: the weights of 6 uninterrupted steps (augmented views included).
         */
        @Test
        void trainingInBucketsResumesToTheSameWeights() {
            dev.cnf.model.train.Augmentation both = new dev.cnf.model.train.Augmentation(true, true);
            DiffusionTrainer.Options options = new DiffusionTrainer.Options(4, 1, 1e-3, 1e-2, 1.0, 0.5, 42);
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
                BaseModel base = BaseModel.initialize(ModelConfig.tiny().withSampleSize(8), m, 7);
                Map<String, Tensor> uninterrupted;
                java.util.Set<String> shapes = new java.util.TreeSet<>();
                try (ShardStream stream = new ShardStream(store, bucketed, TRAIN, 64, 4)) {
                    DiffusionTrainer whole = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), stream, options, m);
                    whole.augment(both);
                    for (int i = 0; i < 6; i++) {
                        whole.trainStep();
                    }
                    uninterrupted = whole.checkpoint().weights();
                }
                try (ShardStream probe = new ShardStream(store, bucketed, TRAIN, 64, 4)) {
                    for (int b = 0; b < 6; b++) {
                        TrainingPair first = probe.batch(42, b, 4).get(0);
                        shapes.add(first.width() + "x" + first.height());
                    }
                }
                assertTrue(shapes.size() > 1, "the 6 steps train on more than one bucket: " + shapes);
                DiffusionTrainer.Checkpoint halfway;
                try (ShardStream stream = new ShardStream(store, bucketed, TRAIN, 64, 4)) {
                    DiffusionTrainer first = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), stream, options, m);
                    first.augment(both);
                    for (int i = 0; i < 3; i++) {
                        first.trainStep();
                    }
                    halfway = first.checkpoint();
                }
                try (ShardStream stream = new ShardStream(store, bucketed, TRAIN, 64, 4)) {
                    DiffusionTrainer resumed = DiffusionTrainer.controlNet(base, base.newControlNet(m, 8), stream, options, m);
                    resumed.augment(both);
                    resumed.restore(halfway);
                    for (int i = 0; i < 3; i++) {
                        resumed.trainStep();
                    }
                    Map<String, Tensor> after = resumed.checkpoint().weights();
                    assertEquals(uninterrupted.keySet(), after.keySet());
                    uninterrupted.forEach((name, t) -> assertArrayEquals(t.data(), after.get(name).data(), 0f, name + ": resumed = uninterrupted"));
                }
            }
        }

        @Test
        void aStreamOpenedAtAnyBatchContinuesBitForBit() {
            List<List<TrainingPair>> uninterrupted = new ArrayList<>();
            try (ShardStream stream = new ShardStream(store, bucketed, TRAIN, 64, 4)) {
                for (long b = 0; b < 700; b++) { // past the first epoch's end (about 300 batches)
                    uninterrupted.add(stream.batch(9, b, 4));
                }
            }
            for (int resumeAt : new int[] {1, 150, 299, 300, 301, 650}) {
                try (ShardStream resumed = new ShardStream(store, bucketed, TRAIN, 64, 4)) {
                    for (int b = resumeAt; b < Math.min(resumeAt + 40, uninterrupted.size()); b++) {
                        List<TrainingPair> expected = uninterrupted.get(b);
                        List<TrainingPair> got = resumed.batch(9, b, 4);
                        assertEquals(expected.stream().map(TrainingPair::row).toList(), got.stream().map(TrainingPair::row).toList(),
                                "batch " + b + " resumed at " + resumeAt);
                        for (int k = 0; k < got.size(); k++) {
                            assertArrayEquals(expected.get(k).image(), got.get(k).image());
                        }
                    }
                }
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
