package dev.cnf.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors format: u64 little-endian header length, a JSON header mapping each name to
 * {dtype, shape, data_offsets}, then the raw little-endian tensor bytes. The only weight format we
 * read or write; pickle-based checkpoints are never deserialised.
 */
public final class Safetensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private Safetensors() {}

    /** F32 safetensors bytes; tensors sorted by name so the same weights give the same bytes. */
    public static byte[] write(Map<String, Tensor> tensors, Map<String, String> metadata) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(out, TensorSource.of(tensors), metadata);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Streams an F32 safetensors file: the header is built from the shapes alone, then each tensor
     * is fetched and written in turn, so only one tensor's values are held at a time.
     */
    public static void write(java.io.OutputStream out, TensorSource tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = newHeader(metadata);
        java.util.List<String> sorted = new java.util.ArrayList<>(new java.util.TreeSet<>(tensors.names()));
        long offset = 0;
        for (String name : sorted) {
            long[] shape = tensors.shape(name);
            long count = 1;
            for (long d : shape) {
                count *= d;
            }
            long size = 4L * count;
            putEntry(header, name, "F32", shape, offset, offset + size);
            offset += size;
        }
        out.write(framed(header));
        for (String name : sorted) {
            float[] data = tensors.floats(name);
            ByteBuffer buf = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(data);
            out.write(buf.array());
        }
    }

    /**
     * The same file with its tensors renamed, file to file: a new header (same dtypes, shapes and offsets)
     * before the unchanged data section, copied by the file system (transferTo), so the tensors are never
     * decoded and never pass through the Java heap, whatever their size and dtype.
     *
     * @throws IllegalArgumentException when two names map to one
     */
    public static void renamed(java.nio.file.Path in, java.nio.file.Path out, java.util.function.UnaryOperator<String> rename,
                               Map<String, String> metadata) throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(in)) {
            Map<String, SafetensorsFile.Entry> byNewName = new TreeMap<>(); // sorted: the same input gives the same bytes
            for (String name : file.names()) {
                String newName = rename.apply(name);
                if (byNewName.put(newName, file.entry(name)) != null) {
                    throw new IllegalArgumentException("two tensors would be named " + newName);
                }
            }
            ObjectNode header = newHeader(metadata);
            byNewName.forEach((name, t) -> putEntry(header, name, t.dtype(), t.shape(), t.begin(), t.end()));
            try (java.nio.channels.FileChannel src = java.nio.channels.FileChannel.open(in, java.nio.file.StandardOpenOption.READ);
                 java.nio.channels.FileChannel dst = java.nio.channels.FileChannel.open(out, java.nio.file.StandardOpenOption.CREATE,
                         java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer framed = ByteBuffer.wrap(framed(header));
                while (framed.hasRemaining()) {
                    dst.write(framed);
                }
                for (long pos = file.dataStart(), end = src.size(); pos < end; ) {
                    pos += src.transferTo(pos, end - pos, dst);
                }
            }
        }
    }

    /** A header holding the metadata (sorted, so the same metadata gives the same bytes), tensors to be added. */
    private static ObjectNode newHeader(Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(meta::put);
        }
        return header;
    }

    private static void putEntry(ObjectNode header, String name, String dtype, long[] shape, long begin, long end) {
        ObjectNode entry = header.putObject(name);
        entry.put("dtype", dtype);
        ArrayNode dims = entry.putArray("shape");
        for (long d : shape) {
            dims.add(d);
        }
        entry.putArray("data_offsets").add(begin).add(end);
    }

    /** The u64 little-endian length, then the header padded with spaces so the tensor data starts 8-byte aligned. */
    private static byte[] framed(ObjectNode header) {
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(headerBytes);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }

    /** Reads F32, F16 and BF16 tensors (converted to fp32), in header order. */
    public static Map<String, Tensor> read(byte[] bytes) throws IOException {
        Map<String, SafetensorsFile.Entry> entries = new LinkedHashMap<>();
        long base = parse(bytes, entries, new TreeMap<>());
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, SafetensorsFile.Entry> e : entries.entrySet()) {
            SafetensorsFile.Entry t = e.getValue();
            ByteBuffer region = ByteBuffer.wrap(bytes, (int) (base + t.begin()), (int) (t.end() - t.begin())).slice();
            out.put(e.getKey(), new Tensor(t.shape(), SafetensorsFile.decode(region, t.dtype())));
        }
        return out;
    }

    /** Parses an in-memory file's header; returns where the data section starts. */
    private static long parse(byte[] bytes, Map<String, SafetensorsFile.Entry> entries, Map<String, String> metadata) throws IOException {
        if (bytes.length < 8) {
            throw new IOException("not a safetensors file: shorter than its 8-byte header length");
        }
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > bytes.length) {
            throw new IOException("not a safetensors file: header length " + headerLen + " does not fit " + bytes.length + " bytes");
        }
        byte[] json = java.util.Arrays.copyOfRange(bytes, 8, (int) (8 + headerLen));
        SafetensorsFile.parseHeader(json, 8 + headerLen, bytes.length, "safetensors bytes", entries, metadata);
        return 8 + headerLen;
    }

    /** IEEE 754 binary16 → binary32 (Java 17 has no Float.float16ToFloat). */
    public static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** The {@code __metadata__} entries of a file. */
    public static Map<String, String> metadata(byte[] bytes) throws IOException {
        Map<String, String> out = new TreeMap<>();
        parse(bytes, new LinkedHashMap<>(), out);
        return out;
    }
}
