package dev.cnf.workers.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cnf.activities.registry.ModelRegistry;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workers.embedded.EmbeddedS3;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Published models in any S3-compatible store (MinIO, S3Proxy, AWS), or, without {@code --s3}, in
 * the demo's local store under {@code --data-dir}.
 */
@Command(name = "models", mixinStandardHelpOptions = true, description = "List, inspect and download published models.",
        subcommands = {ModelsCommand.Ls.class, ModelsCommand.Show.class, ModelsCommand.Pull.class})
public final class ModelsCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** Where the models are: the given S3 endpoint, or the demo's S3Proxy data directory. */
    static class Source {
        @Mixin
        Storage storage;

        @Option(names = "--data-dir", defaultValue = ".cnf", description = "without --s3: the demo's local store (default ${DEFAULT-VALUE})")
        Path dataDir;

        record Opened(ObjectStore store, EmbeddedS3 local) implements AutoCloseable {
            @Override
            public void close() throws Exception {
                if (local != null) {
                    local.close();
                }
            }
        }

        Opened open() throws Exception {
            if (storage.endpoint != null && !storage.endpoint.isBlank()) {
                return new Opened(new ObjectStore(storage.config()), null);
            }
            if (!Files.isDirectory(dataDir.resolve("s3").resolve(storage.bucket))) {
                throw new IllegalArgumentException("no --s3 endpoint given and no local store at " + dataDir.resolve("s3").toAbsolutePath()
                        + "; pass --s3 http://host:9000 with credentials, or run `./cnf demo` first");
            }
            System.err.println("cnf: reading the local store " + dataDir.resolve("s3").toAbsolutePath() + " (no --s3 given)");
            EmbeddedS3 local = EmbeddedS3.start(dataDir);
            return new Opened(new ObjectStore(local.config(storage.bucket)), local);
        }
    }

    /** NAME [VERSION] of a published model, and where to find it. */
    static class VersionRef {
        @Mixin
        Source source;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", arity = "0..1", paramLabel = "VERSION", description = "default: the latest version")
        String version;

        String resolve(ModelRegistry registry) {
            return ModelsCommand.resolve(registry, name, version);
        }
    }

    static double number(Object v) {
        return v == null ? Double.NaN : Json.number(v);
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List models, or the versions of one model.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        Source source;

        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "a model: list its versions")
        String name;

        @Option(names = "--json", description = "print machine-readable JSON")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (Source.Opened o = source.open()) {
                ModelRegistry registry = new ModelRegistry(o.store());
                ObjectMapper mapper = new ObjectMapper();
                ArrayNode out = mapper.createArrayNode();
                if (name == null) {
                    for (String n : registry.names()) {
                        ObjectNode row = out.addObject();
                        row.put("name", n);
                        row.put("latest", registry.latestVersion(n).orElse(null));
                        row.put("versions", registry.versions(n).size());
                    }
                    if (!json) {
                        System.out.printf("%-32s %-28s %s%n", "NAME", "LATEST", "VERSIONS");
                        out.forEach(r -> System.out.printf("%-32s %-28s %d%n", r.get("name").asText(), r.get("latest").asText("-"), r.get("versions").asInt()));
                    }
                } else {
                    List<String> versions = registry.versions(name);
                    if (versions.isEmpty()) {
                        throw new IllegalArgumentException("no published versions of model '" + name + "'; `cnf models ls` lists the models");
                    }
                    String latest = registry.latestVersion(name).orElse("");
                    for (String v : versions) {
                        Map<String, Object> m = registry.manifest(name, v);
                        ObjectNode row = out.addObject();
                        row.put("version", v);
                        row.put("latest", v.equals(latest));
                        row.put("status", String.valueOf(m.getOrDefault("status", "latest")));
                        row.put("edgeF1", number(m.get("edgeF1")));
                    }
                    if (!json) {
                        System.out.printf("%-28s %-10s %s%n", "VERSION", "STATUS", "EDGE_F1");
                        out.forEach(r -> System.out.printf("%-28s %-10s %.3f%s%n", r.get("version").asText(), r.get("status").asText(),
                                r.get("edgeF1").asDouble(), r.get("latest").asBoolean() ? "  <- latest" : ""));
                    }
                }
                if (json) {
                    System.out.println(mapper.writeValueAsString(out));
                }
                return 0;
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a version's model card and metrics (default: latest).")
    static final class Show implements Callable<Integer> {
        @Mixin
        VersionRef ref;

        @Option(names = "--json", description = "print the manifest and metrics as JSON")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (Source.Opened o = ref.source.open()) {
                ModelRegistry registry = new ModelRegistry(o.store());
                String name = ref.name;
                String v = ref.resolve(registry);
                Map<String, Object> manifest = registry.manifest(name, v);
                Map<String, Object> metrics = new HashMap<>(registry.metrics(name, v));
                metrics.remove("perSample");
                if (json) {
                    System.out.println(new ObjectMapper().writeValueAsString(Map.of("manifest", manifest, "metrics", metrics)));
                } else {
                    System.out.print(new String(o.store().get(ModelRegistry.dir(name, v) + "README.md"), StandardCharsets.UTF_8));
                    System.out.println("\nFiles: " + o.store().uri(ModelRegistry.dir(name, v)));
                }
                return 0;
            }
        }
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Download a version (default: latest), verifying every file against the manifest and SHA256SUMS.")
    static final class Pull implements Callable<Integer> {
        @Mixin
        VersionRef ref;

        @Option(names = "--out", description = "target folder (default: ./NAME-VERSION); must not exist or be empty")
        Path out;

        @Override
        @SuppressWarnings("unchecked")
        public Integer call() throws Exception {
            try (Source.Opened o = ref.source.open()) {
                ModelRegistry registry = new ModelRegistry(o.store());
                String name = ref.name;
                String v = ref.resolve(registry);
                Path target = out != null ? out : Path.of(name + "-" + v);
                if (Files.exists(target) && (!Files.isDirectory(target) || Files.list(target).findAny().isPresent())) {
                    throw new IllegalArgumentException(target + " exists and is not an empty folder; choose another --out");
                }
                String dir = ModelRegistry.dir(name, v);
                List<Map<String, Object>> files = (List<Map<String, Object>>) registry.manifest(name, v).get("files");
                Path staging = Files.createTempDirectory(target.toAbsolutePath().getParent(), ".cnf-pull-");
                try {
                    Map<String, String> sums = new HashMap<>();
                    for (Map<String, Object> f : files) {
                        String path = String.valueOf(f.get("path"));
                        if (!SAFE_PATH.matcher(path).matches()) {
                            throw new IllegalStateException("manifest lists an unsafe path '" + path + "'; refusing to write it");
                        }
                        byte[] bytes = o.store().get(dir + path);
                        String actual = ObjectStore.sha256(bytes);
                        if (!actual.equals(f.get("sha256"))) {
                            System.err.println("cnf: checksum mismatch for " + dir + path + ": manifest " + f.get("sha256") + ", downloaded "
                                    + actual + "; nothing was written to " + target);
                            return CnfCli.EXIT_WORKFLOW_FAILED;
                        }
                        sums.put(path, actual);
                        Files.createDirectories(staging.resolve(path).getParent());
                        Files.write(staging.resolve(path), bytes);
                    }
                    Path sumsFile = staging.resolve("SHA256SUMS");
                    if (Files.exists(sumsFile)) {
                        for (String line : Files.readAllLines(sumsFile)) {
                            String[] parts = line.split("  ", 2);
                            if (parts.length == 2 && !parts[0].equals(sums.get(parts[1]))) {
                                System.err.println("cnf: SHA256SUMS disagrees with the manifest for " + parts[1] + "; nothing was written to " + target);
                                return CnfCli.EXIT_WORKFLOW_FAILED;
                            }
                        }
                    }
                    Files.createDirectories(target);
                    for (String path : sums.keySet()) {
                        Files.createDirectories(target.resolve(path).getParent());
                        Files.move(staging.resolve(path), target.resolve(path), StandardCopyOption.REPLACE_EXISTING);
                    }
                    System.out.println("pulled " + name + " " + v + " to " + target + ": " + files.size() + " files, SHA-256 verified");
                    return 0;
                } finally {
                    try (var left = Files.walk(staging)) { // deepest first: files, then their folders, then staging
                        for (Path p : left.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            }
        }
    }

    /** A file of a version: a name, or one folder and a name (large mode's unet/), never absolute, hidden or "..". */
    static final java.util.regex.Pattern SAFE_PATH = java.util.regex.Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*");

    static String resolve(ModelRegistry registry, String name, String version) {
        if (version != null && !version.equals("latest")) {
            return version;
        }
        return registry.latestVersion(name).orElseThrow(() -> new IllegalArgumentException(
                "model '" + name + "' has no latest version; `cnf models ls " + name + "` lists its versions"));
    }
}
