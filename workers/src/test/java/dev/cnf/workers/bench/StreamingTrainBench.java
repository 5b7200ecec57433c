package dev.cnf.workers.bench;

import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.dataset.ShardIndex;
import dev.cnf.activities.dataset.WebDataset;
import dev.cnf.activities.imaging.ImageHeader;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.registry.RunKeys;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.storage.StorageConfig;
import dev.cnf.activities.train.ProgressSink;
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
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgproc.Imgproc;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The train stage streaming a large generated dataset against the same stage on 48 samples (which the shuffle buffer
 * holds whole: the in-memory case), each in a JVM of its own with the same heap: training steps/s (the activity's own
 * throughput, model loading excluded) and peak RSS; and how fast the shards stream from S3 (S3Proxy on loopback) through
 * the reader training uses. Tiny preset, 64 px, every sample its own picture. Not a unit test; prints one JSON line
 * (TrainStageMemoryTest runs its data and its child JVM for the memory assertion).
 *
 * <p>Usage: {@code StreamingTrainBench <samples> <steps> <work dir>}; {@code -Dcnf.bench.jfr=DIR} records each child with JFR.
 */
public final class StreamingTrainBench {
    public static void main(String[] args) throws Exception {
        int samples = Integer.parseInt(args[0]);
        int steps = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]);
        Files.createDirectories(dir);
        OpenCv.load();
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"))) {
            StorageConfig config = s3.config("stream-bench");
            ObjectStore store = new ObjectStore(config);
            store.ensureBucket();
            long madeAt = System.nanoTime();
            long bytes = dataset(store, "runs/large", samples);
            double makeSeconds = (System.nanoTime() - madeAt) / 1e9;
            dataset(store, "runs/small", 48);
            long readAt = System.nanoTime();
            int read = 0;
            for (ShardIndex.Shard shard : ShardIndex.read(store, ShardIndex.keyIn(RunKeys.dataset("runs/large"))).shards()) {
                try (InputStream in = store.open(shard.key()); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
                    for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                        tar.readAllBytes();
                        read += e.getName().endsWith(".txt") ? 1 : 0;
                    }
                }
            }
            double readSeconds = (System.nanoTime() - readAt) / 1e9;
            String small = child(config, "runs/small", 48, steps, dir);
            String large = child(config, "runs/large", samples, steps, dir);
            System.out.printf("{\"measured_at\": \"%s\", \"samples\": %d, \"steps\": %d, \"dataset_bytes\": %d, \"bytes_per_sample\": %d,"
                            + " \"shards\": %d, \"make_seconds\": %.1f, \"s3_read\": {\"samples\": %d, \"seconds\": %.2f, \"mb_per_s\": %.1f,"
                            + " \"samples_per_s\": %.0f}, \"in_memory_48\": %s, \"streaming\": %s}%n",
                    java.time.LocalDate.now(java.time.ZoneOffset.UTC), samples, steps, bytes, bytes / samples,
                    (samples + WebDataset.SAMPLES_PER_SHARD - 1) / WebDataset.SAMPLES_PER_SHARD, makeSeconds, read, readSeconds,
                    bytes / 1e6 / readSeconds, read / readSeconds, small, large);
        }
    }

    /** {@code n} samples, each its own circle (position, radius, colours from its row), as the condition stage leaves them. */
    public static long dataset(ObjectStore store, String run, int n) {
        List<Sample> table = new ArrayList<>(n);
        for (int row = 0; row < n; row++) {
            String id = String.format("%016x", 0xBE000000L + row);
            table.add(new Sample(id, "http://127.0.0.1/" + id, null, null, null, id + id + id + id, null, 0, "clean/" + row + ".jpg", 64, 64,
                    "circle " + row, "given", false, "condition/" + row + ".png", Map.of(), null));
        }
        SampleTables.write(store, RunKeys.conditionTable(run), table);
        long[] bytes = {0};
        WebDataset.write(store, RunKeys.dataset(run), "canny", table, key -> {
            int row = Integer.parseInt(key.substring(key.indexOf('/') + 1, key.indexOf('.')));
            Point centre = new Point(12 + row % 40, 12 + (row / 40) % 40);
            int radius = 5 + row % 11;
            byte[] b;
            if (key.startsWith("clean/")) {
                Mat image = new Mat(64, 64, CvType.CV_8UC3, new Scalar(row % 251, (row / 251) % 251, 90));
                Imgproc.circle(image, centre, radius, new Scalar(230, (row * 7) % 256, 30), -1);
                b = OpenCv.encodeJpeg(image, 95);
            } else {
                Mat condition = new Mat(64, 64, CvType.CV_8UC1, new Scalar(0));
                Imgproc.circle(condition, centre, radius, new Scalar(255), 1);
                b = OpenCv.encodeCompactPng(condition);
            }
            bytes[0] += b.length;
            return b;
        }, ImageHeader::size, () -> { });
        return bytes[0];
    }

    /** The train activity in a JVM of its own: its JSON (steps/s, peak RSS). */
    public static String child(StorageConfig c, String run, int n, int steps, Path dir) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(javaBin, "-Xmx512m", "-XX:+UseSerialGC", "-Dai.djl.offline=true"));
        String jfr = System.getProperty("cnf.bench.jfr", ""); // a folder: a JFR recording of each child
        if (!jfr.isBlank()) {
            command.add("-XX:StartFlightRecording=filename=" + Path.of(jfr, run.replace('/', '-') + ".jfr") + ",settings=profile");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TrainStage.class.getName(), c.endpoint(), c.accessKey(),
                c.secretKey(), c.bucket(), run, String.valueOf(n), String.valueOf(steps)));
        Path log = dir.resolve(run.replace('/', '-') + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(3600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("the train stage on " + run + " failed: " + Files.readString(log, StandardCharsets.UTF_8));
        }
        for (String line : Files.readAllLines(log)) {
            if (line.startsWith("{\"steps_per_s\"")) {
                return line;
            }
        }
        throw new IllegalStateException("no result in " + log);
    }

    /** The child: one train activity, then its throughput and its VmHWM. */
    public static final class TrainStage {
        public static void main(String[] args) throws Exception {
            ObjectStore store = new ObjectStore(new StorageConfig(args[0], args[1], args[2], args[3], "us-east-1"));
            String run = args[4];
            int n = Integer.parseInt(args[5]);
            int steps = Integer.parseInt(args[6]);
            TrainActivities.Progress[] last = {null};
            TestActivityEnvironment env = TestActivityEnvironment.newInstance();
            env.registerActivitiesImplementations(new TrainActivitiesImpl(store, (workflow, runId, progress) -> last[0] = progress));
            TrainActivities train = env.newActivityStub(TrainActivities.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofHours(1)).setHeartbeatTimeout(Duration.ofMinutes(5))
                    .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build()).build());
            EvaluationSpec evaluation = EvaluationSpec.defaults();
            TrainingSpec training = new TrainingSpec(steps, 8, 5e-3, steps, steps, null, null, null, null, null, null, null, null, null, null, null)
                    .forModel(ModelSpec.defaults());
            long started = System.nanoTime();
            train.train(new TrainActivities.Request(new RunContext(run, "bench", 42L), DatasetSplit.of(RunKeys.conditionTable(run), n, evaluation),
                    ModelSpec.defaults(), training, evaluation.forModel(ModelSpec.defaults()), steps));
            double seconds = (System.nanoTime() - started) / 1e9;
            env.close();
            long hwm = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    hwm = Long.parseLong(line.replaceAll("\\D+", ""));
                }
            }
            System.out.printf("{\"steps_per_s\": %.3f, \"activity_seconds\": %.1f, \"peak_rss_mib\": %d}%n",
                    last[0] == null ? Double.NaN : last[0].stepsPerSecond(), seconds, hwm / 1024);
            System.exit(0);
        }
    }
}
