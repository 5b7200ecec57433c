package dev.cnf.workers.storage;

import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.Prerequisites;
import dev.cnf.workers.embedded.EmbeddedS3;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The embedded S3 behaves like S3 for common tools: no directory markers, every object with an ETag, `aws s3 sync` works. */
class EmbeddedS3ClientsTest {
    static Path awsCli() {
        for (String candidate : List.of("/usr/bin/aws", "/usr/local/bin/aws")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        return null;
    }

    @Test
    @Tag("e2e")
    void awsCliSyncsAPublishedFolderAndItsChecksumsHold(@TempDir Path dir) throws Exception {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("data"))) {
            ObjectStore store = new ObjectStore(s3.config("cnf"));
            store.ensureBucket();
            Map<String, String> files = Map.of("config.json", "{\"a\": 1}\n", "diffusion_pytorch_model.safetensors", "weights",
                    "report.html", "<html></html>", "extra/notes.txt", "nested");
            StringBuilder sums = new StringBuilder();
            for (Map.Entry<String, String> f : files.entrySet()) {
                byte[] bytes = f.getValue().getBytes(StandardCharsets.UTF_8);
                store.put("models/m/v1/" + f.getKey(), bytes, "application/octet-stream");
                sums.append(ObjectStore.sha256(bytes)).append("  ").append(f.getKey()).append('\n');
            }
            store.put("models/m/v1/SHA256SUMS", sums.toString().getBytes(StandardCharsets.UTF_8), "text/plain");

            List<ObjectStore.Listed> listed = store.listDetailedIn("cnf", "");
            assertEquals(files.size() + 1, listed.size(), "only the objects, no directory markers: " + listed);
            for (ObjectStore.Listed o : listed) {
                assertFalse(o.key().endsWith("/"), "a directory marker: " + o);
                assertTrue(o.etag() != null && !o.etag().isBlank(), "an object without an ETag: " + o);
            }

            Path aws = awsCli();
            Prerequisites.require(aws != null, "Debian's awscli (/usr/bin/aws)");
            Path copy = dir.resolve("copy");
            ProcessBuilder sync = new ProcessBuilder(aws.toString(), "--endpoint-url", s3.endpoint(), "s3", "sync", "s3://cnf/models/", copy.toString())
                    .redirectErrorStream(true);
            sync.environment().putAll(Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY,
                    "AWS_DEFAULT_REGION", "us-east-1", "AWS_CONFIG_FILE", "/dev/null", "AWS_SHARED_CREDENTIALS_FILE", "/dev/null"));
            Process p = sync.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), "aws s3 sync: " + out);
            Process check = new ProcessBuilder("sha256sum", "-c", "SHA256SUMS").directory(copy.resolve("m/v1").toFile()).redirectErrorStream(true).start();
            String checked = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(check.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, check.exitValue(), "sha256sum -c on the copy: " + checked);
        }
    }
}
