package dev.cnf.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
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
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(meta::put);
        }
        java.util.List<String> sorted = new java.util.ArrayList<>(new java.util.TreeSet<>(tensors.names()));
        long offset = 0;
        for (String name : sorted) {
            ObjectNode entry = header.putObject(name);
            entry.put("dtype", "F32");
            ArrayNode shape = entry.putArray("shape");
            long count = 1;
            for (long d : tensors.shape(name)) {
                shape.add(d);
                count *= d;
            }
            long size = 4L * count;
            entry.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8; // keeps tensor data 8-byte aligned
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        out.write(len.array());
        out.write(headerBytes);
        for (int i = headerBytes.length; i < padded; i++) {
            out.write(' ');
        }
        for (String name : sorted) {
            float[] data = tensors.floats(name);
            ByteBuffer buf = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(data);
            out.write(buf.array());
        }
    }

    /** Reads F32, F16 and BF16 tensors (converted to fp32), in header order. */
    public static Map<String, Tensor> read(byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8) {
            throw new IOException("not a safetensors file: shorter than its 8-byte header length");
        }
        long headerLen = buf.getLong(0);
        if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > bytes.length) {
            throw new IOException("not a safetensors file: header length " + headerLen + " does not fit " + bytes.length + " bytes");
        }
        JsonNode header = JSON.readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
        int base = 8 + (int) headerLen;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode node = e.getValue();
            String dtype = node.get("dtype").asText();
            long[] shape = new long[node.get("shape").size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = node.get("shape").get(i).asLong();
                count *= shape[i];
            }
            long begin = node.get("data_offsets").get(0).asLong();
            long end = node.get("data_offsets").get(1).asLong();
            int width = switch (dtype) {
                case "F32" -> 4;
                case "F16", "BF16" -> 2;
                default -> throw new IOException("tensor " + e.getKey() + ": unsupported dtype " + dtype + " (F32, F16, BF16 are read)");
            };
            if (end - begin != count * width || base + end > bytes.length) {
                throw new IOException("tensor " + e.getKey() + ": data_offsets [" + begin + "," + end + ") do not match shape and file size");
            }
            float[] data = new float[(int) count];
            int pos = base + (int) begin;
            for (int i = 0; i < data.length; i++) {
                data[i] = switch (dtype) {
                    case "F32" -> buf.getFloat(pos + 4 * i);
                    case "F16" -> halfToFloat(buf.getShort(pos + 2 * i));
                    default -> Float.intBitsToFloat((buf.getShort(pos + 2 * i) & 0xffff) << 16);
                };
            }
            out.put(e.getKey(), new Tensor(shape, data));
        }
        return out;
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
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonNode meta = JSON.readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8)).get("__metadata__");
        Map<String, String> out = new TreeMap<>();
        if (meta != null) {
            meta.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }
}
