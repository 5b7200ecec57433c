package dev.cnf.activities.registry;

import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Reads what publishing wrote under {@code models/}: names, versions (a version exists once its
 * manifest does), {@code latest.json}, manifests and metrics. Shared by the promotion gate, the
 * report's comparison with the previous version, and {@code cnf models}.
 */
public final class ModelRegistry {
    /** A published version's ControlNet weights, in diffusers' file name. */
    public static final String WEIGHTS_FILE = "diffusion_pytorch_model.safetensors";
    /** Large-scale mode: the base UNet trained with the ControlNet, which only works with it. */
    public static final String BASE_UNET_FILE = "unet/diffusion_pytorch_model.safetensors";

    public static final String ROOT = "models/";
    private final ObjectStore store;

    public ModelRegistry(ObjectStore store) {
        this.store = store;
    }

    public static String dir(String name, String version) {
        return ROOT + name + "/" + version + "/";
    }

    public static String latestKey(String name) {
        return ROOT + name + "/latest.json";
    }

    /** Model names that have at least one published version. */
    public List<String> names() {
        TreeSet<String> names = new TreeSet<>();
        for (String key : store.list(ROOT)) {
            String[] parts = key.substring(ROOT.length()).split("/");
            if (parts.length == 3 && parts[2].equals("manifest.json")) {
                names.add(parts[0]);
            }
        }
        return new ArrayList<>(names);
    }

    /** Published versions of a model, oldest first (versions sort by time). */
    public List<String> versions(String name) {
        List<String> out = new ArrayList<>();
        for (String key : store.list(ROOT + name + "/")) {
            String rest = key.substring((ROOT + name + "/").length());
            if (rest.endsWith("/manifest.json") && rest.indexOf('/') == rest.length() - "/manifest.json".length()) {
                out.add(rest.substring(0, rest.indexOf('/')));
            }
        }
        return out;
    }

    public Optional<String> latestVersion(String name) {
        if (!store.exists(latestKey(name))) {
            return Optional.empty();
        }
        return Optional.ofNullable((String) Json.read(store.get(latestKey(name)), Map.class).get("version"));
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> manifest(String name, String version) {
        String key = dir(name, version) + "manifest.json";
        if (!store.exists(key)) {
            throw new IllegalArgumentException("no published version '" + version + "' of model '" + name + "' (no " + key + ")");
        }
        return Json.read(store.get(key), Map.class);
    }

    /** The version's model card facts (model_card.json). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> card(String name, String version) {
        return Json.read(store.get(dir(name, version) + "model_card.json"), Map.class);
    }

    /** The hint encoder a version's model card names; cards from before the option have diffusers'. */
    public static String hintEncoder(Map<String, Object> card) {
        return String.valueOf(card.getOrDefault("hintEncoder", "diffusers"));
    }

    /** {@code version}, or the latest when null; refuses a version that is not published, naming what is. */
    public String resolve(String name, String version) {
        String v = version != null ? version : latestVersion(name).orElseThrow(() -> new IllegalArgumentException(
                "no published version of model '" + name + "' (no " + latestKey(name) + ")"));
        manifest(name, v); // published: its manifest is written last
        return v;
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> metrics(String name, String version) {
        return Json.read(store.get(dir(name, version) + "metrics.json"), Map.class);
    }

    /** File listing every training sample of a version (source URL, SHA-256, caption), one JSON object per line. */
    public static final String TRAINING_DATA = "training_data.jsonl";

    /** The rows of the latest version's training-data list; empty when there is no latest version or no list. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> latestTrainingData(String name) {
        Optional<String> latest = latestVersion(name);
        if (latest.isEmpty() || !store.exists(dir(name, latest.get()) + TRAINING_DATA)) {
            return List.of();
        }
        return (List<Map<String, Object>>) (List<?>) Json.readLines(store.get(dir(name, latest.get()) + TRAINING_DATA), Map.class);
    }

    /** SHA-256 of the images the latest version was trained on; empty when there is no latest or no list. */
    public java.util.Set<String> trainedHashes(String name) {
        java.util.Set<String> out = new java.util.HashSet<>();
        latestTrainingData(name).forEach(row -> out.add(String.valueOf(row.get("sha256"))));
        return out;
    }
}
