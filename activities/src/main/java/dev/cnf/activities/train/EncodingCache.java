package dev.cnf.activities.train;

import dev.cnf.activities.metrics.TrainingLogRow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.io.Safetensors;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.BaseModel;
import dev.cnf.model.train.DiffusionTrainer;
import dev.cnf.model.train.Encodings;
import dev.cnf.model.train.Precision;
import dev.cnf.model.train.TrainingPair;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The frozen encoders' outputs, content-addressed in object storage so that every run on the same data
 * and base model skips the codec (VAE) and the text encoder:
 * {@code cache/<base sha256>/<resolution>/latents/<sha256 of the encoder's input>.safetensors} and
 * {@code .../text/<sha256 of the prompt>.safetensors}. Entries are immutable: a key names its inputs. The
 * latent key hashes the very pixels the codec sees (not the source file), so a change in cleaning or
 * cropping can never serve a stale latent.
 *
 * <p>Looked up per sample as training streams (a miss is encoded and stored), with the most recently used entries kept
 * in memory up to a byte budget: memory is bounded by that budget, not by the dataset. An encoder cheaper to run than a
 * fetch ({@code worthStoring} false: the tiny preset's pixel unshuffle and hashed tokens) is only kept in memory.
 */
final class EncodingCache implements Encodings, AutoCloseable {
    /** Object-storage requests in flight at once: a batch's lookups, and the writes of what was encoded. */
    private static final int IO_THREADS = 8;
    /** Encoded entries waiting to be written before a new one waits for the oldest (bounds their memory). */
    private static final int MAX_PENDING_WRITES = 64;

    /** The in-memory budget of cached latents and prompt embeddings together, unless the worker sets another. */
    static final long DEFAULT_MEMORY_BYTES = 256L << 20;
    /** The worker's setting of that budget, in MiB: it bounds memory, never results (an evicted entry is read again). */
    static final String MEMORY_ENV = "CNF_ENCODING_CACHE_MB";

    static long memoryBytes() {
        String mib = System.getenv(MEMORY_ENV);
        if (mib == null || mib.isBlank()) {
            return DEFAULT_MEMORY_BYTES;
        }
        try {
            long v = Long.parseLong(mib.strip());
            if (v >= 0) {
                return v << 20;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(MEMORY_ENV + "='" + mib + "': the encoding cache's memory in MiB, a whole number >= 0");
    }

    /** What this attempt's lookups found and computed (a lookup served from memory counts as a hit). */
    record Stats(int latentHits, int latentMisses, int textHits, int textMisses, boolean latentsStored, boolean textStored) {
        TrainingLogRow.Cache row(int step) {
            return new TrainingLogRow.Cache(step, latentHits, latentMisses, textHits, textMisses, latentsStored, textStored);
        }
    }

    private final ObjectStore store;
    private final String root;
    /** Whether the codec's latents and the text encoder's embeddings go to the store ({@code worthStoring}). */
    private final boolean storeLatents;
    private final boolean storeText;
    private final BaseModel base;
    private final NDManager manager;
    private final Runnable heartbeat;
    private final long memoryBytes;
    private long heldBytes;
    private final LinkedHashMap<String, Tensor> recent = new LinkedHashMap<>(16, 0.75f, true);
    private long[] latentShape;
    private long[] textShape;
    private final Counts latentCounts = new Counts();
    private final Counts textCounts = new Counts();
    /** Entries {@link #prepare} read, until their lookup takes them. */
    private final Map<String, Tensor> found = new java.util.HashMap<>();
    /** Keys a batch's {@link #prepare} found absent from the store: their lookup encodes without asking again. */
    private final java.util.Set<String> absent = new java.util.HashSet<>();
    private final java.util.ArrayDeque<java.util.concurrent.Future<?>> writes = new java.util.ArrayDeque<>();
    private final java.util.concurrent.ExecutorService io = java.util.concurrent.Executors.newFixedThreadPool(IO_THREADS, r -> {
        Thread t = new Thread(r, "cnf-encoding-cache");
        t.setDaemon(true);
        return t;
    });

    /**
     * Half-precision encoders give other latents than float32 ones, so they have their own entries.
     *
     * @param heartbeat run before each encoder call: a cold cache encodes while the activity must stay alive
     */
    EncodingCache(ObjectStore store, String baseSha256, int resolution, Precision precision, BaseModel base, NDManager manager,
                  long memoryBytes, Runnable heartbeat) {
        this.store = store;
        this.root = "cache/" + baseSha256 + "/" + resolution + (precision == Precision.FP32 ? "" : "-" + precision.name().toLowerCase(Locale.ROOT)) + "/";
        this.base = base;
        this.manager = manager;
        this.memoryBytes = memoryBytes;
        this.heartbeat = heartbeat;
        this.storeLatents = base.codec().worthStoring();
        this.storeText = base.textEncoder().worthStoring();
    }

    Stats stats() {
        return new Stats(latentCounts.hits, latentCounts.misses, textCounts.hits, textCounts.misses, storeLatents, storeText);
    }

    /** A bucket's latent is named by its size as well as its pixels (a 576x448 and a 448x576 image hold as many). */
    private String latentKey(TrainingPair pair) {
        String size = pair.width() == pair.height() ? "" : "-" + pair.width() + "x" + pair.height();
        return root + "latents/" + sha256(pair.image()) + size + ".safetensors";
    }

    private String textKey(String prompt) {
        return root + "text/" + ObjectStore.sha256(prompt.getBytes(StandardCharsets.UTF_8)) + ".safetensors";
    }

    /** The batch's entries that are not in memory, read from the store concurrently: one round trip per batch, not per sample. */
    @Override
    public void prepare(List<TrainingPair> pairs, List<String> prompts) {
        java.util.Set<String> wanted = new java.util.LinkedHashSet<>();
        if (storeLatents) {
            pairs.forEach(p -> wanted.add(latentKey(p)));
        }
        if (storeText) {
            prompts.forEach(p -> wanted.add(textKey(p)));
        }
        wanted.removeIf(recent::containsKey);
        Map<String, java.util.concurrent.Future<Tensor>> reads = new java.util.LinkedHashMap<>();
        for (String key : wanted) {
            reads.put(key, io.submit(() -> read(key)));
        }
        for (Map.Entry<String, java.util.concurrent.Future<Tensor>> e : reads.entrySet()) {
            Tensor t = await(e.getValue());
            if (t == null) {
                absent.add(e.getKey());
            } else {
                found.put(e.getKey(), t);
            }
        }
    }

    private static <T> T await(java.util.concurrent.Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the encoding cache", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /** Waits until every encoded entry is written; a write that failed fails here (the attempt is retried). */
    void flush() {
        while (!writes.isEmpty()) {
            await(writes.poll());
        }
    }

    @Override
    public void close() {
        try {
            flush();
        } finally {
            io.shutdownNow();
        }
    }

    @Override
    public float[] latent(TrainingPair pair) {
        Tensor t = lookup(latentKey(pair), storeLatents, latentCounts, () -> {
            float[] v = DiffusionTrainer.encodeImage(base, manager, pair.image(), pair.width(), pair.height());
            int f = base.codec().downsampling(), lh = pair.height() / f, lw = pair.width() / f;
            return new Tensor(new long[] {v.length / (lh * lw), lh, lw}, v);
        });
        latentShape = t.shape();
        return t.data();
    }

    @Override
    public float[] text(String prompt) {
        Tensor t = lookup(textKey(prompt), storeText, textCounts, () -> {
            try (NDManager m = manager.newSubManager()) {
                NDArray e = DiffusionTrainer.encodePrompt(base, m, prompt);
                long[] shape = e.getShape().getShape();
                return new Tensor(Arrays.copyOfRange(shape, 1, shape.length), e.toFloatArray());
            }
        });
        textShape = t.shape();
        return t.data();
    }

    /** Lookups that found their entry (in memory or in the store) and those that ran the encoder. */
    private static final class Counts {
        int hits;
        int misses;
    }

    /**
     * The entry from memory, else from the store, else encoded (heartbeating first) and stored; an encoder not worth
     * storing skips the store both ways (the values are the same: an entry holds exactly what the encoder returned).
     */
    private Tensor lookup(String key, boolean stored, Counts counts, Supplier<Tensor> encode) {
        Tensor t = recent.get(key);
        if (t != null) {
            counts.hits++;
            return t;
        }
        t = found.remove(key);
        if (t == null && stored && !absent.remove(key)) {
            t = read(key);
        }
        if (t == null) {
            heartbeat.run();
            t = encode.get();
            if (stored) {
                write(key, t);
            }
            counts.misses++;
        } else {
            counts.hits++;
        }
        remember(key, t);
        return t;
    }

    /** Known once a latent was looked up. */
    @Override
    public long[] latentShape() {
        return latentShape.clone();
    }

    /** Known once a prompt was looked up. */
    @Override
    public long[] textShape() {
        return textShape.clone();
    }

    private void remember(String key, Tensor t) {
        recent.put(key, t);
        heldBytes += (long) t.data().length * Float.BYTES;
        var it = recent.entrySet().iterator();
        while (heldBytes > memoryBytes && it.hasNext()) {
            var e = it.next();
            if (e.getKey().equals(key)) {
                break; // the entry in hand stays, whatever its size
            }
            heldBytes -= (long) e.getValue().data().length * Float.BYTES;
            it.remove();
        }
    }

    private static String sha256(float[] pixels) {
        ByteBuffer bytes = ByteBuffer.allocate(pixels.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(pixels);
        return ObjectStore.sha256(bytes.array());
    }

    private Tensor read(String key) {
        if (!store.exists(key)) {
            return null;
        }
        try {
            return Safetensors.read(store.get(key)).get("value");
        } catch (IOException e) {
            throw new UncheckedIOException("cache entry " + key + " is unreadable", e);
        }
    }

    /** Written behind training, a bounded number at a time; the entry is in memory meanwhile, so nothing waits for it. */
    private void write(String key, Tensor t) {
        byte[] bytes = Safetensors.write(Map.of("value", t), Map.of("format", "pt"));
        while (writes.size() >= MAX_PENDING_WRITES || (!writes.isEmpty() && writes.peek().isDone())) {
            await(writes.poll()); // a failed write fails here or at the flush, never silently
        }
        writes.add(io.submit(() -> store.put(key, bytes, "application/octet-stream")));
    }
}
