package dev.cnf.activities.storage;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Objects whose bytes never change under their key (content-addressed), as this process last wrote or read them,
 * bounded in bytes with the least recently used going first. It lets a stage read what an earlier stage on the same
 * worker has just stored (the clean stage reading ingest's originals) without a round trip to S3. The arrays are
 * shared: callers must not modify them.
 */
final class RecentObjects {
    private final long capacityBytes;
    private final long largestBytes;
    private final LinkedHashMap<String, byte[]> entries = new LinkedHashMap<>(256, 0.75f, true);
    private long bytes;

    /** @param largestBytes objects over this size are not kept: one would push out many of the usual size */
    RecentObjects(long capacityBytes, long largestBytes) {
        this.capacityBytes = capacityBytes;
        this.largestBytes = Math.min(largestBytes, capacityBytes);
    }

    synchronized void add(String key, byte[] value) {
        if (value.length > largestBytes) {
            return;
        }
        byte[] old = entries.put(key, value);
        bytes += value.length - (old == null ? 0 : old.length);
        Iterator<Map.Entry<String, byte[]>> eldest = entries.entrySet().iterator();
        while (bytes > capacityBytes) {
            bytes -= eldest.next().getValue().length;
            eldest.remove();
        }
    }

    /** The bytes last added under {@code key}, or null when they were never added or have been pushed out. */
    synchronized byte[] get(String key) {
        return entries.get(key);
    }

    synchronized long bytes() {
        return bytes;
    }
}
