package dev.cnf.workers.embedded;

import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.domain.PageSet;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.domain.StorageType;
import org.jclouds.blobstore.domain.internal.PageSetImpl;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.jclouds.blobstore.util.ForwardingBlobStore;

import java.util.ArrayList;
import java.util.List;

/**
 * Makes jclouds' filesystem store list like S3. Without a delimiter it reports each directory as a {@code dir/} entry
 * of 4096 bytes with no ETag; S3 has no such objects, and {@code aws s3 sync} then fails writing a file named like a
 * directory, and boto3 code reading {@code ETag} breaks. Recursive listings here return objects only. Listings with a
 * delimiter are left alone: there directories already become common prefixes, as in S3.
 */
final class ObjectsOnlyBlobStore extends ForwardingBlobStore {
    ObjectsOnlyBlobStore(BlobStore delegate) {
        super(delegate);
    }

    @Override
    public PageSet<? extends StorageMetadata> list(String container, ListContainerOptions options) {
        if (!options.isRecursive()) {
            return super.list(container, options);
        }
        // Pages are refilled after filtering, so a page of markers never comes back empty but truncated.
        Integer wanted = options.getMaxResults();
        List<StorageMetadata> objects = new ArrayList<>();
        PageSet<? extends StorageMetadata> page = super.list(container, options);
        while (true) {
            for (StorageMetadata entry : page) {
                if (entry.getType() == StorageType.BLOB) {
                    objects.add(entry);
                }
            }
            String next = page.getNextMarker();
            if (next == null || wanted == null || objects.size() >= wanted) {
                return new PageSetImpl<>(objects, next);
            }
            ListContainerOptions more = options.clone().afterMarker(next).maxResults(wanted - objects.size());
            page = super.list(container, more);
        }
    }
}
