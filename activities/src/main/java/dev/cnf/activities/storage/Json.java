package dev.cnf.activities.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** JSON and JSON-lines (one record per line) with stable key order, so equal data gives equal bytes. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private Json() {}

    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static <T> T read(byte[] bytes, Class<T> type) {
        try {
            return MAPPER.readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] lines(List<?> rows) {
        StringBuilder sb = new StringBuilder();
        for (Object r : rows) {
            try {
                sb.append(MAPPER.writeValueAsString(r)).append('\n');
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A number as metrics JSON holds it: non-finite values are written as strings ("NaN"), so read both forms. */
    public static double number(Object v) {
        return Double.parseDouble(String.valueOf(v));
    }

    public static <T> List<T> readLines(byte[] bytes, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                try {
                    out.add(MAPPER.readValue(line, type));
                } catch (IOException e) {
                    throw new UncheckedIOException("bad JSON line: " + line, e);
                }
            }
        }
        return out;
    }
}
