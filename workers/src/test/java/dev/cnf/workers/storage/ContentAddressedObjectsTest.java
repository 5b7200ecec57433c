package dev.cnf.workers.storage;

import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workers.embedded.EmbeddedS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A content-addressed object a worker stored is read back from that worker's memory (the clean stage reading
 * ingest's originals without a GET), and from S3 by any other worker.
 */
class ContentAddressedObjectsTest {
    @TempDir
    static Path dir;
    static EmbeddedS3 s3;

    @BeforeAll
    static void start() throws Exception {
        s3 = EmbeddedS3.start(dir.resolve("s3"));
        new ObjectStore(s3.config("originals")).ensureBucket();
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
    }

    @Test
    void theWorkerThatStoredAnObjectReadsItWithoutS3AndAnotherReadsItFromS3() {
        ObjectStore worker = new ObjectStore(s3.config("originals"));
        ObjectStore other = new ObjectStore(s3.config("originals"));
        byte[] body = "an original image's bytes".getBytes(StandardCharsets.UTF_8);
        String key = "run/raw/" + ObjectStore.sha256(body);
        worker.putContentAddressed(key, body, "application/octet-stream", false);

        assertArrayEquals(body, other.getContentAddressed(key), "stored in S3 for every worker");
        worker.delete(key); // only to show where a read comes from
        assertArrayEquals(body, worker.getContentAddressed(key), "the storing worker did not need S3");
        assertArrayEquals(body, other.getContentAddressed(key), "the other worker keeps what it read");
        ObjectStore fresh = new ObjectStore(s3.config("originals"));
        assertThrows(RuntimeException.class, () -> fresh.getContentAddressed(key), "a worker that never had it goes to S3");
    }

    @Test
    void aRetryThatFindsTheObjectStoredDoesNotUploadItAgainButKeepsIt() {
        ObjectStore worker = new ObjectStore(s3.config("originals"));
        byte[] body = "stored by an earlier attempt".getBytes(StandardCharsets.UTF_8);
        String key = "run/raw/" + ObjectStore.sha256(body);
        new ObjectStore(s3.config("originals")).put(key, body, "application/octet-stream");
        worker.putContentAddressed(key, body, "application/octet-stream", true);
        worker.delete(key);
        assertArrayEquals(body, worker.getContentAddressed(key));
    }
}
