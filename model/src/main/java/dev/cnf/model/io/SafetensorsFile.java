package dev.cnf.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.model.nn.TorchOwned;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A safetensors file on disk, read through memory maps one tensor at a time: multi-GB checkpoints
 * load without the file ever being copied into the Java heap. Pickle-based formats are refused
 * before a byte of them is interpreted.
 */
public final class SafetensorsFile implements TensorFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    record Entry(String dtype, long[] shape, long begin, long end) {}

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new TreeMap<>();

    private SafetensorsFile(Path path) throws IOException {
        this.path = path;
        refusePickle(path);
        channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = channel.size();
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (size < 8 || channel.read(len, 0) != 8) {
                throw new IOException(path + ": not a safetensors file (shorter than its 8-byte header length)");
            }
            long headerLen = len.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw new IOException(path + ": not a safetensors file (header length " + headerLen + " does not fit " + size + " bytes)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            channel.read(header, 8);
            dataStart = 8 + headerLen;
            parseHeader(header.array(), dataStart, size, path.toString(), entries, metadata);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Parses the JSON header into {@code entries} and {@code metadata}, checking every tensor's dtype,
     * shape and offsets against the data section ({@code dataStart} .. {@code size}).
     */
    static void parseHeader(byte[] json, long dataStart, long size, String source, Map<String, Entry> entries,
                            Map<String, String> metadata) throws IOException {
        JsonNode root = JSON.readTree(new String(json, StandardCharsets.UTF_8));
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            JsonNode n = e.getValue();
            String dtype = n.get("dtype").asText();
            int width = width(dtype, e.getKey());
            long[] shape = new long[n.get("shape").size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = n.get("shape").get(i).asLong();
                count *= shape[i];
            }
            long begin = n.get("data_offsets").get(0).asLong();
            long end = n.get("data_offsets").get(1).asLong();
            if (end - begin != count * width || begin < 0 || dataStart + end > size) {
                throw new IOException(source + ": tensor " + e.getKey() + " has data_offsets [" + begin + "," + end
                        + ") that do not match its shape and the file size");
            }
            entries.put(e.getKey(), new Entry(dtype, shape, begin, end));
        }
    }

    /** Little-endian F32, F16 or BF16 values → fp32. */
    static float[] decode(ByteBuffer region, String dtype) {
        region.order(ByteOrder.LITTLE_ENDIAN);
        int bytes = region.remaining();
        float[] out;
        switch (dtype) {
            case "F32" -> {
                out = new float[bytes / 4];
                region.asFloatBuffer().get(out);
            }
            case "F16" -> {
                out = new float[bytes / 2];
                for (int i = 0; i < out.length; i++) {
                    out[i] = Safetensors.halfToFloat(region.getShort(region.position() + 2 * i));
                }
            }
            default -> {
                out = new float[bytes / 2];
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.intBitsToFloat((region.getShort(region.position() + 2 * i) & 0xffff) << 16);
                }
            }
        }
        return out;
    }

    public static SafetensorsFile open(Path path) throws IOException {
        return new SafetensorsFile(path);
    }

    /**
     * Refuses .ckpt/.pt/.pth/.bin/.pkl files and anything that starts like a pickle or a torch zip
     * archive: unpickling runs arbitrary code, so we never do it.
     */
    public static void refusePickle(Path path) throws IOException {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean pickleName = name.endsWith(".ckpt") || name.endsWith(".pt") || name.endsWith(".pth")
                || name.endsWith(".bin") || name.endsWith(".pkl") || name.endsWith(".pickle");
        byte[] head = new byte[9];
        if (Files.isRegularFile(path)) {
            try (var in = Files.newInputStream(path)) {
                int n = in.readNBytes(head, 0, head.length);
                if (n < 2) {
                    head = new byte[9];
                }
            }
        }
        // A safetensors file starts with its header's length (8 bytes, little-endian) and then '{': a length such as
        // 0x0580 also begins with 0x80 0x05, pickle's PROTO opcode, so the JSON brace decides first.
        boolean safetensorsHeader = head[8] == '{';
        boolean pickleBytes = !safetensorsHeader && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5; // PROTO opcode
        boolean torchZip = !safetensorsHeader && head[0] == 'P' && head[1] == 'K';
        if (pickleName || pickleBytes || torchZip) {
            throw new IOException(path + " is a pickle-based checkpoint, which cnf never loads (unpickling can run "
                    + "arbitrary code). Convert it to safetensors first, e.g. with diffusers' "
                    + "convert_original_stable_diffusion_to_diffusers.py --to_safetensors, or safetensors' convert tool.");
        }
    }

    private static int width(String dtype, String name) throws IOException {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new IOException("tensor " + name + ": unsupported dtype " + dtype + " (F32, F16, BF16 are read)");
        };
    }

    /** Where the data section starts: the 8-byte length plus the header. */
    long dataStart() {
        return dataStart;
    }

    public Path path() {
        return path;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public Set<String> names() {
        return entries.keySet();
    }

    @Override
    public long[] shape(String name) {
        return entry(name).shape().clone();
    }

    public String dtype(String name) {
        return entry(name).dtype();
    }

    /** A tensor's dtype, shape and byte range within the data section (package: renaming copies its bytes as they are). */
    Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(path + " has no tensor " + name);
        }
        return e;
    }

    /**
     * F32 tensors are copied straight from the memory map into the target's own (libtorch) memory: no Java heap copy
     * and no Java-owned buffer left behind. (Aliasing the map itself would tie a weight to a read-only file mapping,
     * which in-place training updates cannot write.)
     */
    @Override
    public void copyInto(String name, ai.djl.ndarray.NDArray target) {
        Entry e = entry(name);
        if (!e.dtype().equals("F32") || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            TorchOwned.copyInto(target, floats(name));
            return;
        }
        try {
            MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.end() - e.begin());
            TorchOwned.copyInto(target, map.order(ByteOrder.nativeOrder()));
        } catch (IOException ex) {
            throw new UncheckedIOException("reading tensor " + name + " from " + path, ex);
        }
    }

    @Override
    public float[] floats(String name) {
        Entry e = entry(name);
        long bytes = e.end() - e.begin();
        if (bytes / 2 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + name + " has more than 2^31 elements");
        }
        try {
            return decode(channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), bytes), e.dtype());
        } catch (IOException ex) {
            throw new UncheckedIOException("reading tensor " + name + " from " + path, ex);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
