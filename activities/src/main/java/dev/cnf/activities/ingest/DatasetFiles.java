package dev.cnf.activities.ingest;

import dev.cnf.activities.dataset.DropReason;
import dev.cnf.activities.storage.Locations;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.storage.S3Location;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files of an imported dataset, wherever it lies: on the workers' disks ({@code /path} or {@code file:/path}), in
 * object storage ({@code s3://bucket/key}) or on the web ({@code http(s)://}, through the fetcher, so the address guard
 * and robots rules hold). Locations are normalised to {@code file:}, {@code s3://} or {@code http(s)://} URLs.
 */
final class DatasetFiles {
    private final ObjectStore store;
    private final HttpFetcher fetcher;

    DatasetFiles(ObjectStore store, HttpFetcher fetcher) {
        this.store = store;
        this.fetcher = fetcher;
    }

    /** A file that could not be read; {@code missing} when nothing is there (a missing partner, not an outage). */
    static final class Unreadable extends IOException {
        final boolean missing;
        final DropReason reason;

        Unreadable(String message, boolean missing, DropReason reason) {
            super(message);
            this.missing = missing;
            this.reason = reason;
        }
    }

    /** {@code /a/b} → {@code file:/a/b}; other locations as given. */
    static String normalise(String location) {
        return location.startsWith("/") ? locationOf(Path.of(location)) : location;
    }

    /** A worker file as the location these readers use: {@code file:/a/b} (percent-encoded). */
    private static String locationOf(Path path) {
        return path.toUri().toString().replaceFirst("^file:///", "file:/");
    }

    /**
     * {@code relative} (a path from a metadata file: forward slashes) against the folder of {@code file}; null when it
     * is absolute, a URL or climbs out of that folder, so a listing can only name files of its own dataset.
     */
    static String sibling(String file, String relative) {
        String rel = relative.strip().replace('\\', '/');
        if (rel.isEmpty() || rel.startsWith("/") || rel.contains("://") || rel.matches("^[A-Za-z]:.*")) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        for (String part : rel.split("/")) {
            if (part.equals("..")) {
                return null;
            }
            if (!part.isEmpty() && !part.equals(".")) {
                parts.add(part);
            }
        }
        String folder = file.substring(0, file.lastIndexOf('/') + 1);
        if (folder.startsWith("http")) {
            return URI.create(folder).resolve(String.join("/", parts.stream().map(DatasetFiles::encodeSegment).toList())).toString();
        }
        if (folder.startsWith("file:")) {
            return locationOf(Locations.pathOf(folder).resolve(String.join("/", parts)));
        }
        return folder + String.join("/", parts);
    }

    /** Spaces and non-ASCII percent-encoded, by java.net.URI's own rules. */
    private static String encodeSegment(String segment) {
        try {
            return new URI(null, null, segment, null).getRawPath();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The file's bytes, at most {@code maxBytes}. */
    byte[] read(String location, long maxBytes) throws Unreadable {
        if (location.startsWith("file:")) {
            Path p = Locations.pathOf(location);
            try {
                if (!Files.isRegularFile(p)) {
                    throw new Unreadable(p + " does not exist on this worker", true, DropReason.MISSING_PARTNER);
                }
                long size = Files.size(p);
                if (size > maxBytes) {
                    throw new Unreadable(size + " bytes, over " + maxBytes, false, DropReason.TOO_LARGE_BYTES);
                }
                return Files.readAllBytes(p);
            } catch (IOException e) {
                if (e instanceof Unreadable u) {
                    throw u;
                }
                throw new Unreadable(p + ": " + e.getMessage(), false, DropReason.NETWORK_ERROR);
            }
        }
        if (location.startsWith("s3://")) {
            S3Location s3 = S3Location.of(location);
            boolean exists;
            byte[] body;
            try {
                body = store.getFrom(s3.bucket(), s3.key());
            } catch (RuntimeException e) {
                try {
                    exists = store.existsIn(s3.bucket(), s3.key());
                } catch (RuntimeException again) {
                    exists = true;
                }
                throw new Unreadable(exists ? "S3 read failed: " + e.getMessage() : location + " has no object",
                        !exists, exists ? DropReason.NETWORK_ERROR : DropReason.MISSING_PARTNER);
            }
            if (body.length > maxBytes) {
                throw new Unreadable(body.length + " bytes, over " + maxBytes, false, DropReason.TOO_LARGE_BYTES);
            }
            return body;
        }
        URI uri = WireUri.of(location);
        if (uri == null) {
            throw new Unreadable("'" + location + "' is no file path, s3:// or http(s) URL", false, DropReason.INVALID_URL);
        }
        HttpFetcher.Response resp = fetcher.get(uri);
        if (!resp.ok()) {
            boolean missing = resp.status() == 404 || resp.status() == 410;
            throw new Unreadable(resp.detail(), missing, missing ? DropReason.MISSING_PARTNER : resp.failure());
        }
        return resp.body();
    }

    /** A file read once from start to end (a tar); http(s) files are read whole first, within the fetcher's limit. */
    InputStream open(String location) throws IOException {
        if (location.startsWith("file:")) {
            return Files.newInputStream(Locations.pathOf(location));
        }
        if (location.startsWith("s3://")) {
            S3Location s3 = S3Location.of(location);
            return store.openFrom(s3.bucket(), s3.key());
        }
        return new java.io.ByteArrayInputStream(read(location, fetcher.policy().maxBytes()));
    }

    /** A local copy of the file (Parquet is read with random access), deleted by the caller when it is not the original. */
    Path localCopy(String location) throws IOException {
        if (location.startsWith("file:")) {
            return Locations.pathOf(location);
        }
        Path tmp = Files.createTempFile("cnf-import-", ".parquet");
        if (location.startsWith("s3://")) {
            S3Location s3 = S3Location.of(location);
            store.getToFileFrom(s3.bucket(), s3.key(), tmp);
        } else {
            Files.write(tmp, read(location, fetcher.policy().maxBytes()));
        }
        return tmp;
    }

    /** Every file under a folder or prefix, sorted, as locations; a file location lists itself. */
    List<String> list(String folder) {
        if (folder.startsWith("file:")) {
            Path root = Locations.pathOf(folder);
            if (Files.isRegularFile(root)) {
                return List.of(folder);
            }
            if (!Files.isDirectory(root)) {
                return List.of();
            }
            try (Stream<Path> files = Files.walk(root)) {
                return files.filter(Files::isRegularFile).map(DatasetFiles::locationOf).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (folder.startsWith("s3://")) {
            S3Location s3 = S3Location.of(folder);
            return store.listIn(s3.bucket(), s3.key()).stream().filter(k -> !k.endsWith("/")).sorted()
                    .map(k -> new S3Location(s3.bucket(), k).uri()).toList();
        }
        return List.of(folder); // the web lists nothing: a URL names one file
    }
}
