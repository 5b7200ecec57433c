package dev.cnf.workers.train;

import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workers.bench.StreamingTrainBench;
import dev.cnf.workers.embedded.EmbeddedS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The train stage's memory does not grow with the dataset: the same training (tiny preset, 64 px, 30 steps) on 1,000 and
 * on 20,000 samples, each in a JVM of its own (a 512 MiB heap, serial GC: a steady heap) whose peak resident set (VmHWM)
 * it reports, the ratio asserted; the run and the data are {@link StreamingTrainBench}'s. Decoding the whole split, as
 * training once did, would hold 20,000 x 96 KiB of floats (about 1.9 GiB) more, past that heap.
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

    static long peakRssMib(String run, int n) throws Exception {
        StreamingTrainBench.dataset(store, run, n);
        String result = StreamingTrainBench.child(s3.config("memory"), run, n, 30, dir);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"peak_rss_mib\": (\\d+)").matcher(result);
        assertTrue(m.find(), result);
        return Long.parseLong(m.group(1));
    }

    @Test
    @Timeout(1200)
    void peakMemoryIsTheSameOnTwentyTimesTheSamples() throws Exception {
        long small = peakRssMib("runs/small", 1_000);
        long large = peakRssMib("runs/large", 20_000);
        double ratio = (double) large / small;
        System.out.printf("train stage peak RSS: %d MiB on 1,000 samples, %d MiB on 20,000 (ratio %.3f)%n", small, large, ratio);
        assertTrue(ratio < 1.25, "peak RSS grew " + ratio + "x with 20x the samples: " + small + " MiB -> " + large + " MiB");
    }
}
