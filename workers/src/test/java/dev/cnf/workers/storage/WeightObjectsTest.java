package dev.cnf.workers.storage;

import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.models.WeightObjects;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Tensor;
import dev.cnf.workers.embedded.EmbeddedS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Weights go to and come from object storage through local files (the MinIO client's multipart upload
 * and a streamed download), as checkpoints too large for one Java array must. The objects are the same
 * bytes the in-memory writer makes, and read back to the same tensors.
 */
class WeightObjectsTest {
    @TempDir
    static Path dir;
    static EmbeddedS3 s3;
    static ObjectStore store;

    @BeforeAll
    static void start() throws Exception {
        s3 = EmbeddedS3.start(dir.resolve("s3"));
        store = new ObjectStore(s3.config("weights"));
        store.ensureBucket();
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
    }

    @Test
    void aMultipartSizedCheckpointRoundTripsThroughFiles() throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        float[] big = new float[3 << 20]; // 12 MiB: more than one 5 MiB upload part
        for (int i = 0; i < big.length; i++) {
            big[i] = (float) random.nextGaussian();
        }
        tensors.put("exp_avg.down.weight", new Tensor(new long[] {3, 1024, 1024}, big));
        tensors.put("exp_avg.bias", new Tensor(new long[] {3}, new float[] {1f, -2.5f, Float.MIN_VALUE}));

        WeightObjects.put(store, "ckpt/optimizer.safetensors", tensors, Map.of("optimizer", "AdamW"));
        byte[] stored = store.get("ckpt/optimizer.safetensors");
        assertArrayEquals(Safetensors.write(tensors, Map.of("optimizer", "AdamW")), stored, "the same bytes as the in-memory writer");
        assertEquals(tensors, WeightObjects.get(store, "ckpt/optimizer.safetensors"));
        assertEquals(Map.of("optimizer", "AdamW"), Safetensors.metadata(stored));
    }
}
