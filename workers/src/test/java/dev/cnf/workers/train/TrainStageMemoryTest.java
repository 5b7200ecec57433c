package dev.cnf.workers.train;

import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.dataset.WebDataset;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.registry.RunKeys;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.storage.StorageConfig;
import dev.cnf.activities.train.TrainActivitiesImpl;
import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workflows.spec.DatasetSplit;
import dev.cnf.workflows.spec.EvaluationSpec;
import dev.cnf.workflows.spec.ModelSpec;
import dev.cnf.workflows.spec.RunContext;
import dev.cnf.workflows.spec.TrainingSpec;
import dev.cnf.workflows.stages.TrainActivities;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.testing.TestActivityEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgproc.Imgproc;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The train stage's memory does not grow with the dataset: the same training (tiny preset, 64 px, the same steps) on
 * 1,000 and on 20,000 samples, each in a JVM of its own (a 512 MiB heap, serial GC: a steady heap) whose peak resident set
 * (VmHWM) it reports, the ratio asserted.
 * Decoding the whole split, as training once did, would hold 20,000 x 96 KiB of floats (about 1.9 GiB) more.
 */
class TrainStageMemoryTest {
    @TempDir
    static Path dir;
    static EmbeddedS3 s3;
    static ObjectStore store;

    @BeforeAll
    static void start() throws Exception {
        OpenCv.load();
        s3 = EmbeddedS3.start(dir.resolve("s3"));
        store = new ObjectStore(s3.config("memory"));
        store.ensureBucket();
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
    }

    /** A dataset of {@code n} samples as the condition stage leaves it: shards, index, table; 64 distinct pictures reused. */
    static void dataset(String run, int n) {
        Map<String, byte[]> files = new HashMap<>();
        for (int v = 0; v < 64; v++) {
            Mat image = new Mat(64, 64, CvType.CV_8UC3, new Scalar(40 + 3 * v, 120, 200 - 2 * v));
            Imgproc.circle(image, new Point(16 + v % 32, 20 + v / 2), 8 + v % 9, new Scalar(230, 40 + 3 * v, 30), -1);
            Mat condition = new Mat(64, 64, CvType.CV_8UC1, new Scalar(0));
            Imgproc.circle(condition, new Point(16 + v % 32, 20 + v / 2), 8 + v % 9, new Scalar(255), 1);
            files.put("clean/" + v + ".jpg", OpenCv.encodeJpeg(image, 95));
            files.put("condition/" + v + ".png", OpenCv.encodeCompactPng(condition));
        }
        List<Sample> table = new ArrayList<>(n);
        for (int row = 0; row < n; row++) {
            String id = String.format("%016x", 0xAE000000L + row);
            int v = row % 64;
            table.add(new Sample(id, "http://127.0.0.1/" + id, null, null, null, id + id + id + id, null, 0, "clean/" + v + ".jpg", 64, 64,
                    "circle " + v, "given", false, "condition/" + v + ".png", Map.of(), null));
        }
        SampleTables.write(store, RunKeys.conditionTable(run), table);
        WebDataset.write(store, RunKeys.dataset(run), "canny", table, files::get, () -> { });
    }

    /** Runs the train activity in a JVM of its own (fixed heap) and returns the peak resident set it reports, in KiB. */
    static long peakRss(String run, int n) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        StorageConfig c = s3.config("memory");
        List<String> command = List.of(javaBin, "-Xmx512m", "-XX:+UseSerialGC", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                TrainStage.class.getName(), c.endpoint(), c.accessKey(), c.secretKey(), c.bucket(), run, String.valueOf(n));
        Path log = dir.resolve(run.replace('/', '-') + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "the train stage finishes");
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("peak RSS (\\d+) KiB").matcher(out);
        assertTrue(m.find(), out);
        return Long.parseLong(m.group(1));
    }

    @Test
    @Timeout(1200)
    void peakMemoryIsTheSameOnTwentyTimesTheSamples() throws Exception {
        dataset("runs/small", 1_000);
        dataset("runs/large", 20_000);
        long small = peakRss("runs/small", 1_000);
        long large = peakRss("runs/large", 20_000);
        double ratio = (double) large / small;
        System.out.printf("train stage peak RSS: %d KiB on 1,000 samples, %d KiB on 20,000 (ratio %.3f)%n", small, large, ratio);
        assertTrue(ratio < 1.25, "peak RSS grew " + ratio + "x with 20x the samples: " + small + " KiB -> " + large + " KiB");
    }

    /** The child: one train activity (30 steps, probes and checkpoints as a run has them), then its VmHWM. */
    public static final class TrainStage {
        public static void main(String[] args) throws Exception {
            ObjectStore store = new ObjectStore(new StorageConfig(args[0], args[1], args[2], args[3], "us-east-1"));
            String run = args[4];
            int n = Integer.parseInt(args[5]);
            TestActivityEnvironment env = TestActivityEnvironment.newInstance();
            env.registerActivitiesImplementations(new TrainActivitiesImpl(store));
            TrainActivities train = env.newActivityStub(TrainActivities.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofMinutes(10)).setHeartbeatTimeout(Duration.ofMinutes(5))
                    .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build()).build());
            EvaluationSpec evaluation = EvaluationSpec.defaults();
            TrainingSpec training = new TrainingSpec(30, 8, 5e-3, 15, 15, null, null, null, null, null, null, null, null, null, null, null)
                    .forModel(ModelSpec.defaults());
            train.train(new TrainActivities.Request(new RunContext(run, "memory", 42L),
                    DatasetSplit.of(RunKeys.conditionTable(run), n, evaluation), ModelSpec.defaults(), training,
                    evaluation.forModel(ModelSpec.defaults()), 30));
            env.close();
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    System.out.println("peak RSS " + line.replaceAll("\\D+", "") + " KiB");
                }
            }
            System.exit(0);
        }
    }
}
