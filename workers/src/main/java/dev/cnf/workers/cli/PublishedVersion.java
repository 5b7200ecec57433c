package dev.cnf.workers.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.activities.registry.ModelRegistry;
import dev.cnf.activities.storage.ObjectStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A published ControlNet version, read from the registry ({@code NAME} or {@code NAME@VERSION}) or from a folder that
 * {@code cnf models pull} wrote: its model card facts and its weights, each checked against the version's manifest.
 */
record PublishedVersion(String name, String version, String where, Map<String, Object> card, byte[] weights,
                        byte[] baseUnet, String weightsSha256) {

    static boolean isFolder(String ref) {
        return Files.isDirectory(Path.of(ref));
    }

    /** @param store the registry's store; unused for a folder */
    static PublishedVersion open(String ref, ObjectStore store) {
        try {
            return isFolder(ref) ? fromFolder(Path.of(ref)) : fromRegistry(ref, store);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static PublishedVersion fromRegistry(String ref, ObjectStore store) throws IOException {
        int at = ref.indexOf('@');
        String name = at < 0 ? ref : ref.substring(0, at);
        ModelRegistry registry = new ModelRegistry(store);
        String version = ModelsCommand.resolve(registry, name, at < 0 ? null : ref.substring(at + 1));
        String dir = ModelRegistry.dir(name, version);
        if (!store.exists(dir + "manifest.json")) {
            throw new IllegalArgumentException("no published version " + name + "@" + version + " at " + store.uri(dir)
                    + "; `cnf models ls " + name + "` lists its versions");
        }
        Map<String, Object> manifest = registry.manifest(name, version);
        List<Map<String, Object>> files = (List<Map<String, Object>>) manifest.get("files");
        byte[] weights = verified(store.get(dir + ModelRegistry.WEIGHTS_FILE), ModelRegistry.WEIGHTS_FILE, files, store.uri(dir));
        byte[] baseUnet = has(files, ModelRegistry.BASE_UNET_FILE)
                ? verified(store.get(dir + ModelRegistry.BASE_UNET_FILE), ModelRegistry.BASE_UNET_FILE, files, store.uri(dir)) : null;
        Map<String, Object> card = new ObjectMapper().readValue(store.get(dir + "model_card.json"), Map.class);
        return new PublishedVersion(name, version, store.uri(dir), card, weights, baseUnet, ObjectStore.sha256(weights));
    }

    @SuppressWarnings("unchecked")
    private static PublishedVersion fromFolder(Path folder) throws IOException {
        for (String needed : List.of("manifest.json", "model_card.json", ModelRegistry.WEIGHTS_FILE)) {
            if (!Files.isRegularFile(folder.resolve(needed))) {
                throw new IllegalArgumentException(folder + " has no " + needed + "; give a folder written by `cnf models pull`");
            }
        }
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> manifest = json.readValue(folder.resolve("manifest.json").toFile(), Map.class);
        List<Map<String, Object>> files = (List<Map<String, Object>>) manifest.get("files");
        byte[] weights = verified(Files.readAllBytes(folder.resolve(ModelRegistry.WEIGHTS_FILE)), ModelRegistry.WEIGHTS_FILE, files, folder.toString());
        Path unet = folder.resolve(ModelRegistry.BASE_UNET_FILE);
        byte[] baseUnet = Files.isRegularFile(unet) ? verified(Files.readAllBytes(unet), ModelRegistry.BASE_UNET_FILE, files, folder.toString()) : null;
        Map<String, Object> card = json.readValue(folder.resolve("model_card.json").toFile(), Map.class);
        return new PublishedVersion(String.valueOf(manifest.get("name")), String.valueOf(manifest.get("version")), folder.toString(),
                card, weights, baseUnet, ObjectStore.sha256(weights));
    }

    private static boolean has(List<Map<String, Object>> files, String path) {
        return files.stream().anyMatch(f -> path.equals(f.get("path")));
    }

    /** The bytes, once their SHA-256 equals the manifest's entry: a damaged copy never generates. */
    private static byte[] verified(byte[] bytes, String path, List<Map<String, Object>> files, String where) {
        String expected = files.stream().filter(f -> path.equals(f.get("path"))).map(f -> String.valueOf(f.get("sha256")))
                .findFirst().orElseThrow(() -> new IllegalArgumentException(where + ": the manifest lists no " + path));
        String actual = ObjectStore.sha256(bytes);
        if (!actual.equals(expected)) {
            throw new IllegalStateException(where + path + ": SHA-256 " + actual + " is not the manifest's " + expected);
        }
        return bytes;
    }

    String label() {
        return name + "@" + version;
    }

    String modelConfig() {
        return String.valueOf(card.get("modelConfig"));
    }

    String baseModel() {
        return String.valueOf(card.get("baseModel"));
    }

    String condition() {
        return String.valueOf(card.get("condition"));
    }

    int resolution() {
        return ((Number) card.get("resolution")).intValue();
    }
}
