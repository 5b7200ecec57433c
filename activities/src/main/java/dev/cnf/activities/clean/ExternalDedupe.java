package dev.cnf.activities.clean;

import dev.cnf.activities.dataset.DropReason;
import dev.cnf.activities.imaging.PerceptualHash;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.IntConsumer;

/**
 * Exact and near-duplicate detection over any number of images in bounded memory: partitions on local disk instead of
 * maps on the heap. The verdicts equal those of the sequential rule (in the order the images were added, an image is an
 * exact duplicate of the first with its SHA-256; otherwise a near duplicate of the closest earlier <em>kept</em> image,
 * earliest on ties, whose pHash is within the distance and whose colour layout is within
 * {@link #MAX_COLOUR_STEP} of 15 in every cell of {@link PerceptualHash#signature}).
 *
 * <ol>
 *   <li>{@link #add}: each image's SHA-256 goes to a partition by hash; its pHash, cut into {@code distance + 1} bands
 *   (two hashes within that distance agree on at least one band), goes to a partition per band value; its URL to a
 *   file indexed by position.</li>
 *   <li>{@link #decide}: per SHA partition, sorted: every repeat is an exact duplicate of its first. Per band partition,
 *   sorted: candidate pairs (later, earlier) within the distance, written sorted by the later image. Then the pairs of
 *   all partitions are merged in image order and the sequential rule applied: an earlier image counts only if it was
 *   kept, which is already decided.</li>
 *   <li>{@link #verdict}: per image in order, kept, or the reason and the image it repeats.</li>
 * </ol>
 *
 * The heap holds one partition at a time (about {@value #PARTITION_TARGET} records) and the merge's readers; verdicts
 * and URLs live in memory-mapped files. Many near-identical images in one band bucket compare pairwise, as the
 * in-memory index does.
 */
final class ExternalDedupe implements AutoCloseable {
    /** Re-encoding and resizing move a colour cell's mean by a step at most; another colour scheme moves it further. */
    static final int MAX_COLOUR_STEP = 2;
    static final int PARTITION_TARGET = 100_000;
    private static final int MAX_PARTITIONS = 512;
    private static final byte KEPT = 0, EXACT = 1, NEAR = 2;
    private static final int VERDICT_BYTES = 6; // kind, distance, reference (int)

    /** How an image ended: kept (reason null), or a duplicate of the image at {@code reference}. */
    record Verdict(DropReason reason, String referenceUrl, int distance) {
        boolean kept() {
            return reason == null;
        }
    }

    private final Path dir;
    private final int distance;
    private final int[] bandWidths;
    private final DataOutputStream[] shaParts;
    private final DataOutputStream[] bandParts;
    private final DataOutputStream urls;
    private final DataOutputStream urlOffsets;
    private long urlBytes;
    private int count;
    private Mapped verdicts;
    private Mapped offsets;
    private Mapped urlData;
    private int nextVerdict;

    /**
     * @param expected how many images at most will be added (sizes the partitions)
     * @param distance the near-duplicate pHash distance, or -1 for exact duplicates only
     */
    ExternalDedupe(Path workDir, long expected, int distance) throws IOException {
        this(workDir, expected, distance, PARTITION_TARGET);
    }

    /** @param partitionTarget records per partition (tests make it small to exercise the merges) */
    ExternalDedupe(Path workDir, long expected, int distance, int partitionTarget) throws IOException {
        this.dir = Files.createTempDirectory(workDir, "cnf-dedupe-");
        this.distance = distance;
        this.bandWidths = distance < 0 ? new int[0] : bandWidths(distance);
        shaParts = open("sha", partitions(expected, partitionTarget));
        bandParts = open("band", partitions(expected * bandWidths.length, partitionTarget));
        urls = stream(dir.resolve("urls"));
        urlOffsets = stream(dir.resolve("url-offsets"));
    }

    /** {@code distance + 1} bands as equal as 64 bits allow: any two hashes within the distance agree on one of them. */
    static int[] bandWidths(int distance) {
        int bands = Math.min(distance + 1, 64);
        int[] widths = new int[bands];
        for (int b = 0; b < bands; b++) {
            widths[b] = 64 / bands + (b < 64 % bands ? 1 : 0);
        }
        return widths;
    }

    private static int partitions(long records, int target) {
        return (int) Math.max(1, Math.min(MAX_PARTITIONS, (records + target - 1) / target));
    }

    private DataOutputStream[] open(String kind, int n) throws IOException {
        DataOutputStream[] out = new DataOutputStream[n];
        for (int i = 0; i < n; i++) {
            out[i] = stream(dir.resolve(kind + "-" + i));
        }
        return out;
    }

    private static DataOutputStream stream(Path file) throws IOException {
        return new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 15));
    }

    /**
     * Adds the next image, in the order the sequential rule runs.
     *
     * @param signature {@link PerceptualHash#signature}, or null when the image has no perceptual hash
     */
    void add(String sha256, String signature, String url) {
        try {
            int seq = count++;
            byte[] sha = HexFormat.of().parseHex(sha256);
            DataOutputStream part = shaParts[Math.floorMod(Arrays.hashCode(sha), shaParts.length)];
            part.write(sha, 0, 32);
            part.writeInt(seq);
            byte[] u = url.getBytes(StandardCharsets.UTF_8);
            urls.write(u);
            urlOffsets.writeLong(urlBytes);
            urlBytes += u.length;
            if (signature != null) {
                long hash = PerceptualHash.parse(signature);
                long colour = colourLayout(signature);
                int shift = 0;
                for (int b = 0; b < bandWidths.length; b++) {
                    long value = bandWidths[b] == 64 ? hash : (hash >>> shift) & ((1L << bandWidths[b]) - 1);
                    shift += bandWidths[b];
                    long bucket = mix(value * 131 + b);
                    DataOutputStream out = bandParts[(int) Math.floorMod(bucket, (long) bandParts.length)];
                    out.writeLong(bucket);
                    out.writeInt(seq);
                    out.writeLong(hash);
                    out.writeLong(colour);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The 12 colour-layout cells packed 4 bits each, or -1 when the signature has none. */
    static long colourLayout(String signature) {
        if (signature.length() < 29) {
            return -1;
        }
        return Long.parseLong(signature.substring(17, 29), 16);
    }

    static int colourDistance(long a, long b) {
        if (a < 0 || b < 0) {
            return 0;
        }
        int worst = 0;
        for (int cell = 0; cell < 12; cell++) {
            worst = Math.max(worst, (int) Math.abs(((a >>> (4 * cell)) & 0xf) - ((b >>> (4 * cell)) & 0xf)));
        }
        return worst;
    }

    private static long mix(long x) { // spreads band values over partitions (SplitMix64's finaliser)
        x = (x ^ (x >>> 30)) * 0xbf58476d1ce4e5b9L;
        x = (x ^ (x >>> 27)) * 0x94d049bb133111ebL;
        return x ^ (x >>> 31);
    }

    int size() {
        return count;
    }

    /** Decides every image; {@code progress} hears each finished partition (for heartbeats). */
    void decide(IntConsumer progress) throws IOException {
        for (DataOutputStream s : shaParts) {
            s.close();
        }
        for (DataOutputStream s : bandParts) {
            s.close();
        }
        urls.close();
        urlOffsets.close();
        verdicts = Mapped.create(dir.resolve("verdicts"), (long) count * VERDICT_BYTES);
        offsets = Mapped.open(dir.resolve("url-offsets"));
        urlData = Mapped.open(dir.resolve("urls"));
        int done = 0;
        for (int p = 0; p < shaParts.length; p++) {
            exactDuplicates(dir.resolve("sha-" + p));
            progress.accept(++done);
        }
        List<Path> pairFiles = new ArrayList<>();
        for (int p = 0; p < bandParts.length; p++) {
            Path pairs = dir.resolve("pairs-" + p);
            candidatePairs(dir.resolve("band-" + p), pairs);
            pairFiles.add(pairs);
            progress.accept(++done);
        }
        nearDuplicates(pairFiles);
    }

    private void exactDuplicates(Path partition) throws IOException {
        int n = (int) (Files.size(partition) / 36);
        long[][] sha = new long[4][n];
        int[] seq = new int[n];
        try (DataInputStream in = input(partition)) {
            for (int i = 0; i < n; i++) {
                for (int w = 0; w < 4; w++) {
                    sha[w][i] = in.readLong();
                }
                seq[i] = in.readInt();
            }
        }
        Integer[] order = sortedIndex(n, Comparator.<Integer>comparingLong(i -> sha[0][i]).thenComparingLong(i -> sha[1][i])
                .thenComparingLong(i -> sha[2][i]).thenComparingLong(i -> sha[3][i]).thenComparingInt(i -> seq[i]));
        int first = -1;
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if (first >= 0 && sha[0][i] == sha[0][first] && sha[1][i] == sha[1][first] && sha[2][i] == sha[2][first] && sha[3][i] == sha[3][first]) {
                setVerdict(seq[i], EXACT, 0, seq[first]);
            } else {
                first = i;
            }
        }
    }

    /** Pairs (later, earlier, distance) of images in one band bucket within the distances, sorted by the later image. */
    private void candidatePairs(Path partition, Path pairsOut) throws IOException {
        int n = (int) (Files.size(partition) / 28);
        long[] bucket = new long[n];
        int[] seq = new int[n];
        long[] hash = new long[n];
        long[] colour = new long[n];
        try (DataInputStream in = input(partition)) {
            for (int i = 0; i < n; i++) {
                bucket[i] = in.readLong();
                seq[i] = in.readInt();
                hash[i] = in.readLong();
                colour[i] = in.readLong();
            }
        }
        Integer[] order = sortedIndex(n, Comparator.<Integer>comparingLong(i -> bucket[i]).thenComparingInt(i -> seq[i]));
        List<long[]> pairs = new ArrayList<>();
        for (int start = 0; start < n; ) {
            int end = start;
            while (end < n && bucket[order[end]] == bucket[order[start]]) {
                end++;
            }
            for (int a = start + 1; a < end; a++) {
                int later = order[a];
                if (verdictKind(seq[later]) == EXACT) {
                    continue;
                }
                for (int b = start; b < a; b++) {
                    int earlier = order[b];
                    int d = PerceptualHash.distance(hash[later], hash[earlier]);
                    if (d <= distance && verdictKind(seq[earlier]) != EXACT
                            && colourDistance(colour[later], colour[earlier]) <= MAX_COLOUR_STEP) {
                        pairs.add(new long[] {seq[later], seq[earlier], d});
                    }
                }
            }
            start = end;
        }
        pairs.sort(Comparator.<long[]>comparingLong(x -> x[0]).thenComparingLong(x -> x[1]));
        try (DataOutputStream out = stream(pairsOut)) {
            for (long[] x : pairs) {
                out.writeInt((int) x[0]);
                out.writeInt((int) x[1]);
                out.writeByte((int) x[2]);
            }
        }
    }

    /** Merges the pairs in image order and keeps, per image, the closest earlier kept image (earliest on ties). */
    private void nearDuplicates(List<Path> pairFiles) throws IOException {
        PriorityQueue<Head> heads = new PriorityQueue<>(Comparator.<Head>comparingInt(h -> h.later).thenComparingInt(h -> h.earlier));
        List<DataInputStream> open = new ArrayList<>();
        try {
            for (Path f : pairFiles) {
                DataInputStream in = input(f);
                open.add(in);
                Head h = read(in);
                if (h != null) {
                    heads.add(h);
                }
            }
            while (!heads.isEmpty()) {
                int later = heads.peek().later();
                int best = Integer.MAX_VALUE, bestEarlier = -1;
                while (!heads.isEmpty() && heads.peek().later() == later) {
                    Head h = heads.poll();
                    if (verdictKind(h.earlier()) == KEPT && (h.distance() < best || (h.distance() == best && h.earlier() < bestEarlier))) {
                        best = h.distance();
                        bestEarlier = h.earlier();
                    }
                    Head next = read(h.in());
                    if (next != null) {
                        heads.add(next);
                    }
                }
                if (bestEarlier >= 0 && verdictKind(later) == KEPT) {
                    setVerdict(later, NEAR, best, bestEarlier);
                }
            }
        } finally {
            for (DataInputStream in : open) {
                in.close();
            }
        }
    }

    /** A pair file's next record: images {@code later} and {@code earlier} are {@code distance} apart. */
    private record Head(int later, int earlier, int distance, DataInputStream in) {}

    private static Head read(DataInputStream in) throws IOException {
        int later;
        try {
            later = in.readInt();
        } catch (EOFException end) {
            return null;
        }
        return new Head(later, in.readInt(), in.readByte(), in);
    }

    /** The next image's verdict, in the order they were added. */
    Verdict verdict() {
        int seq = nextVerdict++;
        byte kind = verdictKind(seq);
        if (kind == KEPT) {
            return new Verdict(null, null, 0);
        }
        long at = (long) seq * VERDICT_BYTES;
        int d = verdicts.get(at + 1);
        int reference = verdicts.getInt(at + 2);
        return new Verdict(kind == EXACT ? DropReason.DUPLICATE : DropReason.NEAR_DUPLICATE, url(reference), d);
    }

    private String url(int seq) {
        long from = offsets.getLong((long) seq * 8);
        long to = seq + 1 < count ? offsets.getLong((long) (seq + 1) * 8) : urlData.size();
        byte[] bytes = new byte[(int) (to - from)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = urlData.get(from + i);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private byte verdictKind(int seq) {
        return verdicts.get((long) seq * VERDICT_BYTES);
    }

    private void setVerdict(int seq, byte kind, int d, int reference) {
        long at = (long) seq * VERDICT_BYTES;
        verdicts.put(at, kind);
        verdicts.put(at + 1, (byte) d);
        verdicts.putInt(at + 2, reference);
    }

    private static DataInputStream input(Path file) throws IOException {
        return new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 15));
    }

    private static Integer[] sortedIndex(int n, Comparator<Integer> by) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, by);
        return order;
    }

    @Override
    public void close() throws IOException {
        verdicts = offsets = urlData = null; // the mappings go with their buffers
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** A file mapped in 1 GiB windows, so it may exceed the 2 GiB of one mapping. */
    static final class Mapped {
        private static final int WINDOW_BITS = 30;
        private final java.nio.MappedByteBuffer[] windows;
        private final long size;

        private Mapped(Path file, long size, boolean create) throws IOException {
            this.size = size;
            int n = (int) Math.max(1, (size + (1L << WINDOW_BITS) - 1) >>> WINDOW_BITS);
            windows = new java.nio.MappedByteBuffer[n];
            try (FileChannel ch = create
                    ? FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(file, StandardOpenOption.READ)) {
                for (int w = 0; w < n; w++) {
                    long from = (long) w << WINDOW_BITS;
                    long length = Math.min(1L << WINDOW_BITS, size - from);
                    windows[w] = ch.map(create ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, from, Math.max(0, length));
                }
            }
        }

        static Mapped create(Path file, long size) throws IOException {
            return new Mapped(file, size, true);
        }

        static Mapped open(Path file) throws IOException {
            return new Mapped(file, Files.size(file), false);
        }

        long size() {
            return size;
        }

        byte get(long at) {
            return windows[(int) (at >>> WINDOW_BITS)].get((int) (at & ((1L << WINDOW_BITS) - 1)));
        }

        void put(long at, byte value) {
            windows[(int) (at >>> WINDOW_BITS)].put((int) (at & ((1L << WINDOW_BITS) - 1)), value);
        }

        int getInt(long at) {
            return (get(at) & 0xff) << 24 | (get(at + 1) & 0xff) << 16 | (get(at + 2) & 0xff) << 8 | (get(at + 3) & 0xff);
        }

        void putInt(long at, int value) {
            put(at, (byte) (value >>> 24));
            put(at + 1, (byte) (value >>> 16));
            put(at + 2, (byte) (value >>> 8));
            put(at + 3, (byte) value);
        }

        long getLong(long at) {
            return (long) getInt(at) << 32 | (getInt(at + 4) & 0xffffffffL);
        }
    }
}
