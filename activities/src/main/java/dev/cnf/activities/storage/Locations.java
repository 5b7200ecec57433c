package dev.cnf.activities.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Files a run names by location: {@code s3://bucket/key} on the workers' endpoint, or an absolute path
 * on the worker (annotator models, caption files). Never fetched from the internet.
 */
public final class Locations {
    private static final ConcurrentHashMap<String, Path> DOWNLOADED = new ConcurrentHashMap<>();

    private Locations() {}

    /**
     * A local copy (S3 objects are downloaded once per worker, named by their SHA-256).
     *
     * @throws IllegalArgumentException naming the location when there is no file there
     */
    public static Path localFile(String location, ObjectStore store) {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("no file given: name one as s3://bucket/key or an absolute path on the workers");
        }
        if (location.startsWith("s3://")) {
            return DOWNLOADED.computeIfAbsent(location, l -> download(l, store));
        }
        Path p = Path.of(location.startsWith("file:") ? java.net.URI.create(location).getPath() : location);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(location + " does not exist on this worker");
        }
        return p;
    }

    /** The file's bytes. */
    public static byte[] read(String location, ObjectStore store) {
        try {
            return Files.readAllBytes(localFile(location, store));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + location, e);
        }
    }

    /** Whether the location names an existing file, without downloading it. */
    public static boolean exists(String location, ObjectStore store) {
        if (location.startsWith("s3://")) {
            String rest = location.substring(5);
            int slash = rest.indexOf('/');
            return slash > 0 && store.existsIn(rest.substring(0, slash), rest.substring(slash + 1));
        }
        return Files.isRegularFile(Path.of(location.startsWith("file:") ? java.net.URI.create(location).getPath() : location));
    }

    private static Path download(String location, ObjectStore store) {
        String rest = location.substring(5);
        int slash = rest.indexOf('/');
        if (slash <= 0 || !store.existsIn(rest.substring(0, slash), rest.substring(slash + 1))) {
            throw new IllegalArgumentException(location + " does not exist");
        }
        byte[] bytes = store.getFrom(rest.substring(0, slash), rest.substring(slash + 1));
        try {
            Path dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "cnf-files"));
            // named by content, keeping the extension (it tells TorchScript from ONNX)
            String name = rest.substring(rest.lastIndexOf('/') + 1);
            String ext = name.lastIndexOf('.') > 0 ? name.substring(name.lastIndexOf('.')) : "";
            Path tmp = Files.createTempFile(dir, "download", ext);
            Files.write(tmp, bytes);
            Path file = dir.resolve(ObjectStore.sha256(bytes) + ext);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not store a local copy of " + location, e);
        }
    }
}
