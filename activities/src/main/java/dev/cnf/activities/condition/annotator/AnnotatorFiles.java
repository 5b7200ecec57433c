package dev.cnf.activities.condition.annotator;

import dev.cnf.activities.storage.ObjectStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where an annotator model comes from: {@code s3://bucket/key} (downloaded once per worker into a
 * temporary folder) or a path on the worker. Model files are never fetched from the internet.
 */
public final class AnnotatorFiles {
    private static final ConcurrentHashMap<String, Path> DOWNLOADED = new ConcurrentHashMap<>();

    private AnnotatorFiles() {}

    /** @throws IllegalArgumentException naming the location when there is no file there */
    public static Path resolve(String location, ObjectStore store) {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("no annotator model given: set annotatorModel to a TorchScript file (s3://bucket/key or a worker path)");
        }
        if (location.startsWith("s3://")) {
            return DOWNLOADED.computeIfAbsent(location, l -> download(l, store));
        }
        Path p = Path.of(location.startsWith("file:") ? java.net.URI.create(location).getPath() : location);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("annotator model " + location + " does not exist on this worker");
        }
        return p;
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
            throw new IllegalArgumentException("annotator model " + location + " does not exist");
        }
        byte[] bytes = store.getFrom(rest.substring(0, slash), rest.substring(slash + 1));
        try {
            Path dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "cnf-annotators"));
            Path tmp = Files.createTempFile(dir, "download", ".pt");
            Files.write(tmp, bytes);
            Path file = dir.resolve(ObjectStore.sha256(bytes) + ".pt");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not store annotator model " + location, e);
        }
    }
}
