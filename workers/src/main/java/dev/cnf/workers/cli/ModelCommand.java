package dev.cnf.workers.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cnf.model.ModelInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Facts about model architectures, computed from configs: no weights needed. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Inspect model architectures.",
        subcommands = {ModelCommand.Info.class})
public final class ModelCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Parameter counts per model of a preset (" + ModelInfo.PRESETS + ") or a diffusers folder.")
    static final class Info implements Callable<Integer> {
        @Option(names = "--config", defaultValue = "sd15", description = "preset or diffusers model/pipeline folder (default ${DEFAULT-VALUE})")
        String config;

        @Option(names = "--json", description = "print machine-readable JSON")
        boolean json;

        @Option(names = "--instantiate", description = "also allocate every model on CPU (zeros) and report the process's peak memory")
        boolean instantiate;

        @Override
        public Integer call() throws Exception {
            ModelInfo info = ModelInfo.of(config);
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode out = mapper.createObjectNode();
            out.put("config", info.config());
            info.models().forEach((name, p) -> {
                ObjectNode n = out.putObject(name);
                n.put("class", p.className());
                n.put("params", p.params());
                n.put("fp32_bytes", 4 * p.params());
                if (p.note() != null) {
                    n.put("note", p.note());
                }
            });
            if (instantiate) {
                long start = System.nanoTime();
                try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                    for (ModelInfo.Part p : info.models().values()) {
                        if (p.block() != null) {
                            p.block().allocateParameters(manager);
                        }
                    }
                    ObjectNode mem = out.putObject("instantiated");
                    mem.put("seconds", Math.round((System.nanoTime() - start) / 1e7) / 100.0);
                    mem.put("rss_bytes", procStatus("VmRSS"));
                    mem.put("peak_rss_bytes", procStatus("VmHWM"));
                }
            }
            if (json) {
                System.out.println(mapper.writeValueAsString(out));
            } else {
                System.out.println("config " + info.config());
                info.models().forEach((name, p) -> System.out.printf("  %-13s %-22s %,15d params%s%n", name, p.className(), p.params(),
                        p.note() == null ? "" : "  (" + p.note() + ")"));
                if (out.has("instantiated")) {
                    System.out.printf("  allocated in %.2f s, peak RSS %.2f GiB%n", out.get("instantiated").get("seconds").asDouble(),
                            out.get("instantiated").get("peak_rss_bytes").asLong() / (double) (1L << 30));
                }
            }
            return 0;
        }

        /** A memory line of /proc/self/status in bytes; -1 where there is no procfs. */
        static long procStatus(String key) throws IOException {
            Path status = Path.of("/proc/self/status");
            if (!Files.isReadable(status)) {
                return -1;
            }
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return -1;
        }
    }
}
