package dev.cnf.activities.storage;

import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.UploadObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** The only way the project touches object storage: the MinIO Java client against an S3 endpoint. */
public final class ObjectStore {
    private final MinioClient client;
    private final StorageConfig config;
    private final S3Credentials.Resolved credentials;
    /** Sized for the shards a worker has in flight (8 shards of 256 web images of ~60 KB); a miss only costs a GET. */
    private final RecentObjects recent = new RecentObjects(128L << 20, 8L << 20);

    public ObjectStore(StorageConfig config) {
        this.config = config;
        this.credentials = S3Credentials.resolve(config.accessKey(), config.secretKey());
        this.client = MinioClient.builder()
                .endpoint(config.endpoint())
                .credentialsProvider(credentials.provider())
                .region(config.region())
                .build();
    }

    /** Which credentials the client uses, for logs (the keys given to cnf, or where the AWS chain found them). */
    public String credentialsSource() {
        return credentials.source();
    }

    public String bucket() {
        return config.bucket();
    }

    public String uri(String key) {
        return "s3://" + config.bucket() + "/" + key;
    }

    /** The key of a {@link #uri} of this bucket (a workflow result names its objects so). */
    public String keyOf(String uri) {
        String prefix = uri("");
        if (!uri.startsWith(prefix)) {
            throw new IllegalArgumentException(uri + " is not in bucket " + config.bucket());
        }
        return uri.substring(prefix.length());
    }

    /** Creates the bucket if it is missing; safe to call from many workers. */
    public void ensureBucket() {
        call(() -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(config.bucket()).build())) {
                try {
                    client.makeBucket(MakeBucketArgs.builder().bucket(config.bucket()).region(config.region()).build());
                } catch (ErrorResponseException e) {
                    String code = e.errorResponse().code();
                    if (!"BucketAlreadyOwnedByYou".equals(code) && !"BucketAlreadyExists".equals(code)) {
                        throw e;
                    }
                }
            }
            return null;
        }, "create bucket " + config.bucket());
    }

    /** Creates another bucket on this endpoint if missing (tests and imports). */
    public void ensureBucketNamed(String bucket) {
        call(() -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).region(config.region()).build());
            }
            return null;
        }, "create bucket " + bucket);
    }

    public void putIn(String bucket, String key, byte[] bytes) {
        call(() -> client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).build()), "put s3://" + bucket + "/" + key);
    }

    public void put(String key, byte[] bytes, String contentType) {
        call(() -> client.putObject(PutObjectArgs.builder().bucket(config.bucket()).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).contentType(contentType).build()), "put " + key);
    }

    /**
     * Uploads a local file, in parts when large: for objects that may pass what one Java array holds
     * (2 GiB), such as an SD-sized checkpoint's optimizer moments.
     */
    public void putFile(String key, Path file, String contentType) {
        call(() -> client.uploadObject(UploadObjectArgs.builder().bucket(config.bucket()).object(key)
                .filename(file.toString()).contentType(contentType).build()), "put " + key + " from " + file);
    }

    /** A server-side copy within the bucket (S3 CopyObject: up to 5 GiB, which a ControlNet's weights stay under). */
    public void copy(String fromKey, String toKey) {
        call(() -> client.copyObject(CopyObjectArgs.builder().bucket(config.bucket()).object(toKey)
                .source(CopySource.builder().bucket(config.bucket()).object(fromKey).build()).build()), "copy " + fromKey + " to " + toKey);
    }

    /** Streams an object into a local file (replaced if present), never holding it in memory. */
    public void getToFile(String key, Path file) {
        getToFileFrom(config.bucket(), key, file);
    }

    /** {@link #getToFile} from another bucket on this endpoint (base models kept apart from runs). */
    public void getToFileFrom(String bucket, String key, Path file) {
        call(() -> {
            try (GetObjectResponse in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return null;
        }, "get s3://" + bucket + "/" + key + " into " + file);
    }

    /** An object's key, size and ETag, as listed. */
    public record Listed(String key, long size, String etag) {}

    /** Objects under a prefix of any bucket on this endpoint, recursively, sorted by key, with sizes and ETags. */
    public List<Listed> listDetailedIn(String bucket, String prefix) {
        return call(() -> {
            List<Listed> out = new ArrayList<>();
            for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
                Item item = r.get();
                out.add(new Listed(item.objectName(), item.size(), item.etag()));
            }
            out.sort(java.util.Comparator.comparing(Listed::key));
            return out;
        }, "list s3://" + bucket + "/" + prefix);
    }

    public byte[] get(String key) {
        return getFrom(config.bucket(), key);
    }

    /** The object as a stream, for objects read once from start to end (a dataset shard); the caller closes it. */
    public java.io.InputStream open(String key) {
        return openFrom(config.bucket(), key);
    }

    /** As {@link #open}, from another bucket on the same endpoint (an imported dataset's tar files). */
    public java.io.InputStream openFrom(String bucket, String key) {
        return call(() -> client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build()), "get s3://" + bucket + "/" + key);
    }

    /** Reads from another bucket on the same endpoint and credentials (s3:// source imports). */
    public byte[] getFrom(String bucket, String key) {
        return call(() -> {
            try (GetObjectResponse in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
                return in.readAllBytes();
            }
        }, "get s3://" + bucket + "/" + key);
    }

    /**
     * Stores an object whose key names its content (a hash of the bytes), so a second PUT would write the same bytes,
     * and keeps it for {@link #getContentAddressed} on this worker.
     *
     * @param mayExist an earlier attempt may have stored it: look first and skip the upload if it is there (a first
     *                 attempt saves that request)
     */
    public void putContentAddressed(String key, byte[] bytes, String contentType, boolean mayExist) {
        if (!mayExist || !exists(key)) {
            put(key, bytes, contentType);
        }
        recent.add(key, bytes);
    }

    /**
     * A content-addressed object ({@link #putContentAddressed}): from this worker's recent objects when it stored or
     * read it lately, else from S3. The array may be shared; do not modify it.
     */
    public byte[] getContentAddressed(String key) {
        byte[] bytes = recent.get(key);
        if (bytes == null) {
            bytes = get(key);
            recent.add(key, bytes);
        }
        return bytes;
    }

    public boolean exists(String key) {
        return existsIn(config.bucket(), key);
    }

    public boolean existsIn(String bucket, String key) {
        return call(() -> {
            try {
                client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
                return true;
            } catch (ErrorResponseException e) {
                if ("NoSuchKey".equals(e.errorResponse().code()) || "NoSuchObject".equals(e.errorResponse().code())
                        || e.response().code() == 404) {
                    return false;
                }
                throw e;
            }
        }, "stat s3://" + bucket + "/" + key);
    }

    /** Keys under a prefix, recursively, sorted. */
    public List<String> list(String prefix) {
        return listIn(config.bucket(), prefix);
    }

    /** Keys under a prefix of any bucket on this endpoint, recursively, sorted. */
    public List<String> listIn(String bucket, String prefix) {
        return call(() -> {
            List<String> keys = new ArrayList<>();
            for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
                keys.add(r.get().objectName());
            }
            keys.sort(null);
            return keys;
        }, "list s3://" + bucket + "/" + prefix);
    }

    public void delete(String key) {
        call(() -> {
            client.removeObject(RemoveObjectArgs.builder().bucket(config.bucket()).object(key).build());
            return null;
        }, "delete " + key);
    }

    /** SHA-256 of a stored object, read as a stream (a multi-GB model never sits in memory). */
    public String sha256Of(String key) {
        return call(() -> {
            try (GetObjectResponse in = client.getObject(GetObjectArgs.builder().bucket(config.bucket()).object(key).build())) {
                return sha256(in);
            }
        }, "hash " + key);
    }

    /** SHA-256 of a stream, read to its end in 1 MiB pieces. */
    public static String sha256(java.io.InputStream in) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
            digest.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws Exception;
    }

    private <T> T call(Call<T> c, String what) {
        try {
            return c.run();
        } catch (IOException e) {
            throw new UncheckedIOException("object store " + config.endpoint() + ": " + what + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("object store " + config.endpoint() + ": " + what + " failed: " + e.getMessage(), e);
        }
    }
}
