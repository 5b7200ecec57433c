package dev.cnf.activities.train;

import dev.cnf.activities.dataset.ShardIndex;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.train.BucketBatches;
import dev.cnf.model.train.DataOrder;
import dev.cnf.model.train.TrainingData;
import dev.cnf.model.train.TrainingPair;
import dev.cnf.model.train.TrainingSet;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.opencv.core.Mat;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The training split streamed from the dataset's WebDataset shards in object storage, in {@link DataOrder}'s order: each
 * shard is read from start to end once an epoch, and only the samples in the shuffle buffer are held, as the bytes the
 * shard stores (images and conditions are decoded when a batch takes them). A split cleaned into aspect buckets is
 * batched by {@link BucketBatches} from the same buffer, one bucket to a batch. The split is the table's first
 * {@code train} rows; the held-out rows after them are read by {@link #rowsFrom}, never handed out for training.
 */
public final class ShardStream implements TrainingData, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShardStream.class);
    /** Times one shard is opened again after a broken read before training fails. */
    private static final int READ_ATTEMPTS = 3;

    private final ObjectStore store;
    private final ShardIndex index;
    private final int train;
    private final DataOrder order;
    /** Each train shard's index in the dataset's shard list. */
    private final int[] datasetShard;
    private final Map<Integer, Sample> held = new HashMap<>();
    /** The split's batches when its samples come in several sizes (aspect buckets), else null: positions then. */
    private final BucketBatches buckets;
    private BucketBatches.Walker walker;
    private DataOrder.Cursor cursor;
    private long cursorSeed;
    private long cursorEpoch = -1;
    private Reader reader;
    private int readSoFar;

    /** One sample as its shard stores it: the image and condition files' bytes and the caption. */
    record Sample(byte[] image, byte[] condition, String caption) {}

    /** @param batchSize samples per batch: a split in aspect buckets is batched here, one bucket to a batch */
    public ShardStream(ObjectStore store, ShardIndex index, int train, int bufferSize, int batchSize) {
        if (train < 1 || train > index.samples()) {
            throw new IllegalArgumentException("a training split of " + train + " rows from a dataset of " + index.samples());
        }
        this.store = store;
        this.index = index;
        this.train = train;
        List<Integer> sizes = new ArrayList<>();
        List<Integer> which = new ArrayList<>();
        long start = 0;
        for (int i = 0; i < index.shards().size(); i++) {
            int inTrain = (int) Math.max(0, Math.min(index.shards().get(i).samples(), train - start));
            start += index.shards().get(i).samples();
            if (inTrain > 0) {
                sizes.add(inTrain);
                which.add(i);
            }
        }
        this.order = new DataOrder(sizes.stream().mapToInt(Integer::intValue).toArray(), bufferSize);
        this.datasetShard = which.stream().mapToInt(Integer::intValue).toArray();
        this.buckets = index.bucketed() ? new BucketBatches(order, index.sizeOfRows(train), batchSize) : null;
    }

    @Override
    public int size() {
        return train;
    }

    /** Samples held for shuffling right now: at most the buffer's size. */
    public int held() {
        return held.size();
    }

    @Override
    public TrainingPair at(long orderSeed, long position) {
        long epoch = position / train;
        int inEpoch = (int) (position % train);
        if (cursor == null || orderSeed != cursorSeed || epoch != cursorEpoch || inEpoch != cursor.position()) {
            seek(orderSeed, epoch, inEpoch);
        }
        int row = cursor.next();
        readUpTo(cursor.read());
        return take(row);
    }

    /** Batches of one size from a split in aspect buckets ({@link BucketBatches}); positions otherwise. */
    @Override
    public List<TrainingPair> batch(long orderSeed, long batchIndex, int batchSize) {
        if (buckets == null) {
            return TrainingData.super.batch(orderSeed, batchIndex, batchSize);
        }
        if (batchSize != buckets.batchSize()) {
            throw new IllegalArgumentException("batches of " + batchSize + " asked of a stream batching " + buckets.batchSize());
        }
        if (walker == null || orderSeed != cursorSeed || batchIndex != walker.index()) {
            close();
            walker = buckets.walk(orderSeed, batchIndex);
            cursorSeed = orderSeed;
            reread(walker.epochShardOrder(), walker.read(), walker.buffered());
        }
        long epoch = walker.epoch();
        int[] rows = walker.next();
        if (walker.epoch() != epoch) { // the walk began the next epoch: its shards in their new order, from the start
            reader.close(); // every sample of the last epoch is handed out: none is held
            reader = new Reader(walker.epochShardOrder(), 0);
            readSoFar = 0;
        }
        readUpTo(walker.read());
        List<TrainingPair> out = new ArrayList<>(rows.length);
        for (int row : rows) {
            out.add(take(row));
        }
        return out;
    }

    private void readUpTo(int read) {
        while (readSoFar < read) {
            held.put(reader.row(), reader.next());
            readSoFar++;
        }
    }

    private TrainingPair take(int row) {
        Sample sample = held.remove(row);
        if (sample == null) {
            throw new IllegalStateException("row " + row + " was handed out before it was read");
        }
        return decode(row, sample);
    }

    /**
     * Positions the stream at {@code inEpoch} of the epoch: the order is replayed from the shard sizes alone, then the
     * buffer's samples are read again, from the shard of the earliest of them on.
     */
    private void seek(long seed, long epoch, int inEpoch) {
        close();
        cursor = order.cursor(seed, epoch, inEpoch);
        cursorSeed = seed;
        cursorEpoch = epoch;
        reread(cursor.epochShardOrder(), cursor.read(), cursor.buffered());
    }

    /** Reads the epoch's samples again from the earliest buffered one up to {@code read}, keeping the buffered ones. */
    private void reread(int[] shardOrder, int read, int[] buffered) {
        int[] readStart = new int[order.shards()]; // the read position of each shard's first sample this epoch
        for (int i = 0, at = 0; i < shardOrder.length; i++) {
            readStart[shardOrder[i]] = at;
            at += order.shardSize(shardOrder[i]);
        }
        Set<Integer> wanted = new HashSet<>();
        int first = read;
        for (int row : buffered) {
            wanted.add(row);
            first = Math.min(first, readPosition(row, readStart));
        }
        reader = new Reader(shardOrder, first);
        for (readSoFar = first; readSoFar < read; readSoFar++) {
            int row = reader.row();
            Sample s = reader.next();
            if (wanted.contains(row)) {
                held.put(row, s);
            }
        }
    }

    private int readPosition(int row, int[] readStart) {
        for (int s = order.shards() - 1; s >= 0; s--) {
            if (row >= order.shardStart(s)) {
                return readStart[s] + (int) (row - order.shardStart(s));
            }
        }
        throw new IllegalArgumentException("row " + row + " is in no shard");
    }

    private static TrainingPair decode(int row, Sample s) {
        Mat bgr = OpenCv.decodeBgr(s.image());
        Mat conditionBgr = OpenCv.decodeBgr(s.condition());
        if (bgr.cols() != conditionBgr.cols() || bgr.rows() != conditionBgr.rows()) {
            throw new IllegalStateException("row " + row + ": its image is " + bgr.cols() + "x" + bgr.rows() + ", its condition "
                    + conditionBgr.cols() + "x" + conditionBgr.rows());
        }
        TrainingPair pair = new TrainingPair(row, OpenCv.toChw(bgr, -1f, 1f), OpenCv.toChw(conditionBgr, 0f, 1f), s.caption(),
                bgr.cols(), bgr.rows());
        bgr.release();
        conditionBgr.release();
        return pair;
    }

    /** The table's rows from {@code from} to its end, decoded: the held-out set the probes sample (evaluation's size). */
    public TrainingSet rowsFrom(int from) {
        List<float[]> images = new ArrayList<>();
        List<float[]> conditions = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        List<int[]> sizes = new ArrayList<>();
        long start = 0;
        for (int i = 0; i < index.shards().size(); i++) {
            ShardIndex.Shard shard = index.shards().get(i);
            if (start + shard.samples() > from) {
                ShardFile file = new ShardFile(shard.key(), index.condition(), shard.samples(), 0);
                for (int m = 0; m < shard.samples(); m++) {
                    Sample s = file.next();
                    if (start + m >= from) {
                        TrainingPair p = decode((int) (start + m), s);
                        images.add(p.image());
                        conditions.add(p.condition());
                        captions.add(p.caption());
                        sizes.add(new int[] {p.width(), p.height()});
                    }
                }
                file.close();
            }
            start += shard.samples();
        }
        return new TrainingSet(images, conditions, captions, sizes);
    }

    @Override
    public void close() {
        held.clear();
        walker = null;
        if (reader != null) {
            reader.close();
            reader = null;
        }
    }

    /** Reads the epoch's samples in read order (its shards one after the other) from a read position on. */
    private final class Reader {
        private final int[] shardOrder;
        private int shardIndex;
        private int member;
        private ShardFile file;

        Reader(int[] shardOrder, int from) {
            this.shardOrder = shardOrder;
            while (from >= order.shardSize(shardOrder[shardIndex]) && shardIndex < shardOrder.length - 1) {
                from -= order.shardSize(shardOrder[shardIndex]);
                shardIndex++;
            }
            member = from;
        }

        /** The split row of the sample {@link #next} reads. */
        int row() {
            advance();
            return (int) (order.shardStart(shardOrder[shardIndex]) + member);
        }

        Sample next() {
            advance();
            if (file == null) {
                ShardIndex.Shard shard = index.shards().get(datasetShard[shardOrder[shardIndex]]);
                file = new ShardFile(shard.key(), index.condition(), shard.samples(), member);
            }
            member++;
            return file.next();
        }

        private void advance() {
            if (member == order.shardSize(shardOrder[shardIndex])) {
                close();
                shardIndex++;
                member = 0;
            }
        }

        void close() {
            if (file != null) {
                file.close();
                file = null;
            }
        }
    }

    /**
     * One tar shard read as a stream, a sample (the files sharing a key up to the first dot of their name) at a time. A
     * broken read opens the shard again and skips to where it was, a few times before it fails.
     */
    private final class ShardFile {
        private final String key;
        private final String condition;
        private final int samples;
        private int read;
        private TarArchiveInputStream tar;
        /** The first file of the next sample, read while looking for the end of the current one. */
        private String pendingName;
        private byte[] pendingBytes;

        ShardFile(String key, String condition, int samples, int skip) {
            this.key = key;
            this.condition = condition;
            this.samples = samples;
            open(skip);
        }

        Sample next() {
            if (read == samples) {
                throw new IllegalStateException("shard " + key + " has only " + samples + " samples");
            }
            for (int attempt = 1; ; attempt++) {
                try {
                    Sample s = readSample();
                    read++;
                    return s;
                } catch (IOException e) {
                    if (attempt == READ_ATTEMPTS) {
                        throw new UncheckedIOException("shard " + key + ": reading sample " + read + " failed " + attempt + " times", e);
                    }
                    LOG.warn("shard {}: read of sample {} broke ({}); opening it again", key, read, e.getMessage());
                    close();
                    open(read);
                }
            }
        }

        private void open(int skip) {
            tar = new TarArchiveInputStream(store.open(key));
            pendingName = null;
            try {
                for (int i = 0; i < skip; i++) {
                    readSample();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("shard " + key + ": skipping to sample " + skip + " failed", e);
            }
            read = skip;
        }

        private Sample readSample() throws IOException {
            Map<String, byte[]> files = new LinkedHashMap<>();
            String sampleKey = null;
            while (true) {
                if (pendingName == null && !readFile()) {
                    break;
                }
                String k = sampleKey(pendingName);
                if (sampleKey != null && !k.equals(sampleKey)) {
                    break;
                }
                sampleKey = k;
                files.put(pendingName.substring(pendingName.lastIndexOf('/') + 1).substring(k.length() + 1), pendingBytes);
                pendingName = null;
            }
            if (sampleKey == null) {
                throw new IllegalStateException("shard " + key + " ends after " + read + " samples; its index says " + samples);
            }
            byte[] image = files.containsKey("jpg") ? files.get("jpg") : files.get("png");
            byte[] cond = files.get(condition + ".png");
            if (image == null || cond == null) {
                throw new IllegalStateException("shard " + key + ": sample " + sampleKey + " has " + files.keySet() + ", training needs"
                        + " an image (jpg or png) and its condition (" + condition + ".png)");
            }
            byte[] txt = files.get("txt");
            return new Sample(image, cond, txt == null ? "" : new String(txt, StandardCharsets.UTF_8));
        }

        /** Reads the next regular file into pendingName/pendingBytes; false at the end of the archive. */
        private boolean readFile() throws IOException {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (e.isFile()) {
                    pendingName = e.getName();
                    pendingBytes = tar.readAllBytes();
                    return true;
                }
            }
            return false;
        }

        private static String sampleKey(String name) {
            String base = name.substring(name.lastIndexOf('/') + 1);
            int dot = base.indexOf('.');
            return dot < 0 ? base : base.substring(0, dot);
        }

        void close() {
            try {
                tar.close();
            } catch (IOException e) {
                LOG.debug("closing shard {}: {}", key, e.getMessage());
            }
        }
    }
}
