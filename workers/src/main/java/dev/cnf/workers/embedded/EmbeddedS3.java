package dev.cnf.workers.embedded;

import dev.cnf.activities.storage.StorageConfig;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * S3Proxy on 127.0.0.1 with jclouds' filesystem backend under {@code dataDir/s3}, listing objects only (no directory
 * markers; see {@link ObjectsOnlyBlobStore}). The project talks to it only through the MinIO client, exactly as to
 * MinIO or AWS; operators can use awscli or boto3 on it.
 */
public final class EmbeddedS3 implements AutoCloseable {
    public static final String ACCESS_KEY = "cnf-local";
    public static final String SECRET_KEY = "cnf-local-secret";

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final int port;

    private EmbeddedS3(Path dataDir) throws Exception {
        Path root = dataDir.resolve("s3");
        Files.createDirectories(root);
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", root.toAbsolutePath().toString());
        context = ContextBuilder.newBuilder("filesystem").overrides(props).build(BlobStoreContext.class);
        port = FreePort.find();
        proxy = S3Proxy.builder()
                .blobStore(new ObjectsOnlyBlobStore(context.getBlobStore()))
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("S3Proxy did not start within 30 s (state " + proxy.getState() + ")");
            }
            Thread.sleep(20);
        }
    }

    public static EmbeddedS3 start(Path dataDir) throws Exception {
        return new EmbeddedS3(dataDir);
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public StorageConfig config(String bucket) {
        return new StorageConfig(endpoint(), ACCESS_KEY, SECRET_KEY, bucket, "us-east-1");
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        context.close();
    }
}
