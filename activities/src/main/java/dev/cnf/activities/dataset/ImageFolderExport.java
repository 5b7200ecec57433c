package dev.cnf.activities.dataset;

import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A dataset's WebDataset shards as a Hugging Face imagefolder, the layout diffusers' {@code train_controlnet.py} and
 * {@code datasets.load_dataset("imagefolder")} read: {@code images/<key>.<jpg|png>} (the stored bytes, unchanged),
 * {@code conditioning_images/<key>.png} and {@code metadata.jsonl} with {@code file_name},
 * {@code conditioning_image_file_name} and {@code text}, which datasets loads as the columns {@code image},
 * {@code conditioning_image} and {@code text}. Streams shard by shard: memory holds one sample.
 */
public final class ImageFolderExport {
    private ImageFolderExport() {}

    /** @return the samples written */
    public static int export(ObjectStore store, String datasetPrefix, Path out) throws IOException {
        ShardIndex index = ShardIndex.read(store, ShardIndex.keyIn(datasetPrefix));
        Files.createDirectories(out.resolve("images"));
        Files.createDirectories(out.resolve("conditioning_images"));
        int written = 0;
        try (BufferedWriter metadata = Files.newBufferedWriter(out.resolve("metadata.jsonl"), StandardCharsets.UTF_8)) {
            for (ShardIndex.Shard shard : index.shards()) {
                try (InputStream in = store.open(shard.key()); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
                    Map<String, byte[]> members = new LinkedHashMap<>();
                    String key = null;
                    TarArchiveEntry e;
                    while ((e = tar.getNextEntry()) != null) {
                        if (!e.isFile()) {
                            continue;
                        }
                        String name = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                        String k = name.substring(0, name.indexOf('.'));
                        if (key != null && !k.equals(key)) {
                            written += write(out, metadata, key, members, index.condition(), shard.key());
                            members.clear();
                        }
                        key = k;
                        members.put(name.substring(k.length() + 1), tar.readAllBytes());
                    }
                    if (key != null) {
                        written += write(out, metadata, key, members, index.condition(), shard.key());
                    }
                }
            }
        }
        if (written != index.samples()) {
            throw new IllegalStateException("exported " + written + " samples, the shard index lists " + index.samples());
        }
        return written;
    }

    private static int write(Path out, BufferedWriter metadata, String key, Map<String, byte[]> members, String condition, String shard)
            throws IOException {
        String extension = members.containsKey("jpg") ? "jpg" : "png";
        byte[] image = members.get(extension);
        byte[] map = members.get(condition + ".png");
        if (image == null || map == null) {
            throw new IllegalStateException("shard " + shard + ": sample " + key + " has " + members.keySet() + "; an export needs its"
                    + " image and its condition (" + condition + ".png)");
        }
        String imageFile = "images/" + key + "." + extension;
        String conditionFile = "conditioning_images/" + key + ".png";
        Files.write(out.resolve(imageFile), image);
        Files.write(out.resolve(conditionFile), map);
        // file_name first: datasets 5.2 loads the image column as None when another *_file_name column precedes it
        com.fasterxml.jackson.databind.node.ObjectNode row = Json.MAPPER.createObjectNode()
                .put("file_name", imageFile)
                .put("conditioning_image_file_name", conditionFile)
                .put("text", members.containsKey("txt") ? new String(members.get("txt"), StandardCharsets.UTF_8) : "");
        metadata.write(Json.MAPPER.writeValueAsString(row));
        metadata.newLine();
        return 1;
    }
}
