package dev.cnf.workers.embedded;

import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.datasets.GalleryServer;
import dev.cnf.workers.WorkerHost;
import dev.cnf.workflows.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The embedded default: Temporal (the real server beside this process, or the Java test server in it; see
 * {@link EmbeddedTemporal}), S3Proxy with a
 * filesystem backend, the local gallery, and one worker polling both task queues.
 */
public final class EmbeddedStack implements AutoCloseable {
    public final EmbeddedTemporal temporal;
    public final EmbeddedS3 s3;
    public final GalleryServer gallery;
    public final WorkflowServiceStubs service;
    public final WorkflowClient client;
    public final ObjectStore store;
    public final WorkerHost worker;

    private EmbeddedStack(Path dataDir, String bucket, int galleryImages, int gallerySize, List<String> allowHosts) throws Exception {
        temporal = EmbeddedTemporal.start(dataDir);
        s3 = EmbeddedS3.start(dataDir);
        gallery = GalleryServer.start(galleryImages, gallerySize, 7);
        service = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
        client = WorkflowClient.newInstance(service);
        store = new ObjectStore(s3.config(bucket));
        Set<String> allowed = new java.util.LinkedHashSet<>(allowHosts);
        allowed.add(gallery.hostPort());
        worker = new WorkerHost(client, store, new WorkerHost.Settings(Set.of(TaskQueues.CPU, TaskQueues.GPU),
                List.of(gallery.url()), allowed, 4, 1));
        worker.start();
    }

    /** @param allowHosts host:port pairs ingestion may fetch besides the local gallery, though they resolve to private addresses */
    public static EmbeddedStack start(Path dataDir, String bucket, int galleryImages, int gallerySize, List<String> allowHosts) throws Exception {
        return new EmbeddedStack(dataDir, bucket, galleryImages, gallerySize, allowHosts);
    }

    @Override
    public void close() throws Exception {
        worker.close();
        service.shutdownNow();
        gallery.close();
        s3.close();
        temporal.close();
    }
}
