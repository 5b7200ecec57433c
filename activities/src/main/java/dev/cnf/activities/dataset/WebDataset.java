package dev.cnf.activities.dataset;

import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the finished dataset as WebDataset shards: POSIX tar files where each sample's files share
 * a key ({@code <id>.jpg} or {@code <id>.png}, as the clean stage stored it, {@code <id>.txt}, {@code <id>.json}, {@code <id>.<condition>.png}), plus a
 * JSON-lines manifest of every sample with its source, hashes, caption and shard, and the {@link ShardIndex} training streams by. Tar headers carry
 * no time, owner or mode variation, so the same samples always give the same bytes (idempotent reruns).
 */
public final class WebDataset {
    public static final int SAMPLES_PER_SHARD = 500;

    private WebDataset() {}

    /**
     * @param imageSize a training image's {width, height} from its bytes (its header), or null when unreadable
     * @return the manifest key; shards are {@code <prefix>/shard-00000.tar}, ...
     */
    public static String write(ObjectStore store, String prefix, String conditionName, List<Sample> samples,
                               java.util.function.Function<String, byte[]> read, java.util.function.Function<byte[], int[]> imageSize,
                               Runnable heartbeat) {
        List<Map<String, Object>> manifest = new ArrayList<>();
        List<ShardIndex.Shard> shards = new ArrayList<>();
        List<String> sizes = new ArrayList<>(); // in the order they first appear
        for (int from = 0, shard = 0; from < samples.size(); from += SAMPLES_PER_SHARD, shard++) {
            String shardKey = String.format("%s/shard-%05d.tar", prefix, shard);
            Tar tar = new Tar();
            List<Sample> members = samples.subList(from, Math.min(samples.size(), from + SAMPLES_PER_SHARD));
            int[] sizeOf = new int[members.size()];
            int member = 0;
            for (Sample s : members) {
                heartbeat.run();
                Map<String, Object> meta = metadata(s, conditionName);
                byte[] image = read.apply(s.imageKey());
                int[] wh = imageSize.apply(image);
                if (wh == null) {
                    throw new IllegalStateException("the cleaned image " + s.imageKey() + " has no readable size");
                }
                String size = wh[0] + "x" + wh[1];
                int known = sizes.indexOf(size);
                if (known < 0) {
                    known = sizes.size();
                    sizes.add(size);
                }
                sizeOf[member++] = known;
                tar.add(s.id() + s.imageKey().substring(s.imageKey().lastIndexOf('.')), image); // .jpg or .png
                tar.add(s.id() + ".txt", (s.caption() == null ? "" : s.caption()).getBytes(StandardCharsets.UTF_8));
                tar.add(s.id() + ".json", Json.bytes(meta));
                if (s.conditionKey() != null) {
                    tar.add(s.id() + "." + conditionName + ".png", read.apply(s.conditionKey()));
                }
                Map<String, Object> row = new LinkedHashMap<>(meta);
                row.put("width", wh[0]); // the training image's
                row.put("height", wh[1]);
                row.put("shard", shardKey);
                manifest.add(row);
            }
            store.put(shardKey, tar.finish(), "application/x-tar");
            shards.add(new ShardIndex.Shard(shardKey, members.size(), sizeOf));
        }
        if (sizes.size() == 1) { // one size: no per-sample sizes
            shards.replaceAll(s -> new ShardIndex.Shard(s.key(), s.samples()));
        }
        store.put(ShardIndex.keyIn(prefix), Json.bytes(new ShardIndex(conditionName, samples.size(), shards, sizes)), "application/json");
        String manifestKey = prefix + "/manifest.jsonl";
        store.put(manifestKey, Json.lines(manifest), "application/x-ndjson");
        return manifestKey;
    }

    static Map<String, Object> metadata(Sample s, String conditionName) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", s.id());
        m.put("url", s.sourceUrl());
        m.put("page", s.pageUrl());
        m.put("sha256", s.sha256());
        m.put("phash", s.phash());
        m.put("original_width", s.width());
        m.put("original_height", s.height());
        m.put("caption", s.caption());
        m.put("caption_source", s.captionSource());
        m.put("caption_truncated", s.captionTruncated());
        m.put("condition", conditionName);
        m.put("condition_params", s.conditionParams());
        return m;
    }

    /** A minimal ustar writer: regular files only, names under 100 bytes, fixed metadata. */
    static final class Tar {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void add(String name, byte[] data) {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            if (n.length >= 100) {
                throw new IllegalArgumentException("tar entry name over 99 bytes: " + name);
            }
            byte[] h = new byte[512];
            System.arraycopy(n, 0, h, 0, n.length);
            octal(h, 100, 8, 0644);
            octal(h, 108, 8, 0);
            octal(h, 116, 8, 0);
            octal(h, 124, 12, data.length);
            octal(h, 136, 12, 0); // mtime: fixed, so reruns write identical bytes
            h[156] = '0';
            byte[] magic = "ustar\0".getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(magic, 0, h, 257, magic.length);
            h[263] = '0';
            h[264] = '0';
            java.util.Arrays.fill(h, 148, 156, (byte) ' ');
            long sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            octal(h, 148, 7, sum);
            h[155] = ' ';
            out.writeBytes(h);
            out.writeBytes(data);
            int pad = (512 - data.length % 512) % 512;
            out.writeBytes(new byte[pad]);
        }

        byte[] finish() {
            out.writeBytes(new byte[1024]); // two zero blocks end the archive
            return out.toByteArray();
        }

        private static void octal(byte[] h, int offset, int length, long value) {
            String s = Long.toOctalString(value);
            String padded = "0".repeat(Math.max(0, length - 1 - s.length())) + s;
            byte[] b = padded.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(b, 0, h, offset, b.length);
            h[offset + length - 1] = 0;
        }
    }
}
