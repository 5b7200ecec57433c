package dev.cnf.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint saved in shards, as diffusers and transformers write large models ({@code *.safetensors.index.json}:
 * a {@code weight_map} from tensor name to shard file beside it): one tensor source over every shard, each
 * memory-mapped as a single file would be.
 */
public final class ShardedWeights implements TensorFiles {
    private final Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
    private final Map<String, SafetensorsFile> shards = new LinkedHashMap<>();

    private ShardedWeights() {}

    public static ShardedWeights open(Path index) throws IOException {
        JsonNode map = new ObjectMapper().readTree(Files.readString(index)).path("weight_map");
        if (!map.isObject() || map.isEmpty()) {
            throw new IOException(index + " has no weight_map; expected a sharded checkpoint index");
        }
        ShardedWeights w = new ShardedWeights();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String file = e.getValue().asText();
                if (file.contains("/") || file.contains("\\") || file.startsWith(".")) {
                    throw new IOException(index + " names shard '" + file + "' outside its folder");
                }
                SafetensorsFile shard = w.shards.get(file);
                if (shard == null) {
                    shard = SafetensorsFile.open(index.resolveSibling(file));
                    w.shards.put(file, shard);
                }
                if (!shard.names().contains(e.getKey())) {
                    throw new IOException(index + " puts " + e.getKey() + " in " + file + ", which does not hold it");
                }
                w.byName.put(e.getKey(), shard);
            }
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
        return w;
    }

    @Override
    public Set<String> names() {
        return byName.keySet();
    }

    @Override
    public long[] shape(String name) {
        return byName.get(name).shape(name);
    }

    @Override
    public float[] floats(String name) {
        return byName.get(name).floats(name);
    }

    @Override
    public void copyInto(String name, ai.djl.ndarray.NDArray target) {
        byName.get(name).copyInto(name, target);
    }

    @Override
    public void close() {
        for (SafetensorsFile shard : shards.values()) {
            try {
                shard.close();
            } catch (Exception ignored) {
                // closing a read-only mapping cannot lose data
            }
        }
    }
}
