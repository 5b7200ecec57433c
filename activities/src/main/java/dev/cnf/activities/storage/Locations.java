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

    /** A worker path given as {@code /path} or {@code file:/path} (percent-escapes decoded). */
    public static Path pathOf(String location) {
        return Path.of(location.startsWith("file:") ? java.net.URI.create(location).getPath() : location);
    }

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
        Path p = pathOf(location);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(location + " does not exist on this worker");
        }
        return p;
    }

    /**
     * A local copy of a folder (a diffusers model): an absolute path on the worker as it is, or every
     * object under {@code s3://bucket/prefix/} streamed into a cache folder named by the listing (keys,
     * sizes, ETags), so a changed object downloads afresh and an unchanged folder downloads once per
     * worker machine. Objects are streamed to disk, never held in memory: SD1.5's UNet is 3.4 GB.
     *
     * @throws IllegalArgumentException naming the location when nothing is there
     */
    public static Path localFolder(String location, ObjectStore store) {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("no folder given: name one as s3://bucket/prefix/ or an absolute path on the workers");
        }
        if (!location.startsWith("s3://")) {
            Path p = pathOf(location);
            if (!Files.isDirectory(p)) {
                throw new IllegalArgumentException(location + " is not a folder on this worker");
            }
            return p;
        }
        String rest = location.substring(5);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix += "/";
        }
        java.util.List<ObjectStore.Listed> objects = store.listDetailedIn(bucket, prefix);
        if (objects.isEmpty()) {
            throw new IllegalArgumentException(location + " holds no objects; upload the folder there (e.g. mc cp --recursive"
                    + " stable-diffusion-v1-5/ " + location + ")");
        }
        StringBuilder listing = new StringBuilder(location);
        objects.forEach(o -> listing.append('\n').append(o.key()).append(' ').append(o.size()).append(' ').append(o.etag()));
        String id = ObjectStore.sha256(listing.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String finalPrefix = prefix;
        return DOWNLOADED.computeIfAbsent(location + "#" + id, k -> downloadFolder(store, bucket, finalPrefix, objects, id));
    }

    private static Path downloadFolder(ObjectStore store, String bucket, String prefix, java.util.List<ObjectStore.Listed> objects, String id) {
        try {
            Path root = Path.of(System.getProperty("java.io.tmpdir"), "cnf-files", "folders", id);
            Path complete = root.resolve(".cnf-complete");
            if (Files.exists(complete)) {
                return root; // an earlier process on this machine downloaded the same listing
            }
            for (ObjectStore.Listed o : objects) {
                String relative = o.key().substring(prefix.length());
                if (relative.isEmpty() || relative.endsWith("/")) {
                    continue; // a "folder" marker object
                }
                Path target = root.resolve(relative).normalize();
                if (!target.startsWith(root)) {
                    throw new IllegalArgumentException("object key " + o.key() + " leaves the folder");
                }
                Files.createDirectories(target.getParent());
                Path tmp = Files.createTempFile(target.getParent(), ".download", "");
                store.getToFileFrom(bucket, o.key(), tmp);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.writeString(complete, id);
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException("could not download s3://" + bucket + "/" + prefix, e);
        }
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
        return Files.isRegularFile(pathOf(location));
    }

    private static Path download(String location, ObjectStore store) {
        String rest = location.substring(5);
        int slash = rest.indexOf('/');
        if (slash <= 0 || !store.existsIn(rest.substring(0, slash), rest.substring(slash + 1))) {
            throw new IllegalArgumentException(location + " does not exist");
        }
        try {
            Path dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "cnf-files"));
            // named by content, keeping the extension (it tells TorchScript from ONNX); streamed, as folders are:
            // an annotator model can be gigabytes
            String name = rest.substring(rest.lastIndexOf('/') + 1);
            String ext = name.lastIndexOf('.') > 0 ? name.substring(name.lastIndexOf('.')) : "";
            Path tmp = Files.createTempFile(dir, "download", ext);
            store.getToFileFrom(rest.substring(0, slash), rest.substring(slash + 1), tmp);
            String sha256;
            try (java.io.InputStream in = Files.newInputStream(tmp)) {
                sha256 = ObjectStore.sha256(in);
            }
            Path file = dir.resolve(sha256 + ext);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not store a local copy of " + location, e);
        }
    }
}
