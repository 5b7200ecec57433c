package dev.cnf.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/** Reading and writing diffusers/transformers {@code config.json} files: defaults, int-or-list fields, clear errors. */
final class ConfigJson {
    static final ObjectMapper MAPPER = new ObjectMapper();
    /** The diffusers release whose config format we write; informational for diffusers' loader. */
    static final String DIFFUSERS_VERSION = "0.27.0";

    private ConfigJson() {}

    static int integer(JsonNode n, String key, int fallback) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.canConvertToInt()) {
            throw new IllegalArgumentException("config.json: '" + key + "' must be an integer, got " + v);
        }
        return v.asInt();
    }

    static double number(JsonNode n, String key, double fallback) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? fallback : v.asDouble();
    }

    static boolean bool(JsonNode n, String key, boolean fallback) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? fallback : v.asBoolean();
    }

    static String text(JsonNode n, String key, String fallback) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? fallback : v.asText();
    }

    static List<Integer> ints(JsonNode n, String key, List<Integer> fallback) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        List<Integer> out = new ArrayList<>();
        v.forEach(e -> out.add(e.asInt()));
        return out;
    }

    /** diffusers lets several fields be one int for every block or a list with one value per block. */
    static List<Integer> intOrList(JsonNode n, String key, int blocks, List<Integer> fallback) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (v.isArray()) {
            if (v.size() != blocks) {
                throw new IllegalArgumentException("config.json: '" + key + "' has " + v.size() + " entries for " + blocks + " blocks");
            }
            return ints(n, key, fallback);
        }
        return java.util.Collections.nCopies(blocks, v.asInt());
    }

    static List<String> strings(JsonNode n, String key, List<String> fallback) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        List<String> out = new ArrayList<>();
        v.forEach(e -> out.add(e.asText()));
        return out;
    }

    /** Refuses a field we do not implement unless it has the value that means "off". */
    static void requireDefault(JsonNode n, String key, Object offValue) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return;
        }
        boolean off = offValue == null ? v.isNull()
                : offValue instanceof Boolean b ? v.isBoolean() && v.asBoolean() == b
                : v.asText().equals(String.valueOf(offValue));
        if (!off) {
            throw new IllegalArgumentException("config.json: '" + key + "' = " + v + " is not supported (only "
                    + offValue + "); this model class is outside what cnf implements");
        }
    }

    static ArrayNode array(ObjectNode o, String key, List<?> values) {
        ArrayNode a = o.putArray(key);
        for (Object v : values) {
            if (v instanceof Integer i) {
                a.add(i);
            } else {
                a.add(String.valueOf(v));
            }
        }
        return a;
    }

    static String pretty(ObjectNode node) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String json, String what) {
        try {
            JsonNode n = MAPPER.readTree(json);
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException(what + ": config.json is not a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(what + ": config.json is not valid JSON: " + e.getOriginalMessage());
        }
    }
}
