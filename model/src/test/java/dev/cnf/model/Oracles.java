package dev.cnf.model;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The test oracles' Python (diffusers, transformers, torch 2.7.1: the virtualenv from requirements/oracles.txt, made
 * on first use by scripts/python-env.sh) and the scripts in model/src/test/python, for the tests of every module.
 */
public final class Oracles {
    /** The repository root (tests run in their module's folder). */
    public static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    private Oracles() {}

    public static Path python() throws Exception {
        return python("oracles");
    }

    /** The python of the project virtualenv .venv/{@code name}, from requirements/{@code name}.txt (made on first use). */
    public static Path python(String name) throws Exception {
        Process env = new ProcessBuilder(ROOT.resolve("scripts/python-env.sh").toString(), name)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(env.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        boolean made = env.waitFor(900, TimeUnit.SECONDS) && env.exitValue() == 0;
        Prerequisites.require(made && Files.isExecutable(Path.of(out)),
                "the virtualenv .venv/" + name + " (scripts/python-env.sh " + name + "; needs python3 with venv and PyPI)");
        return Path.of(out);
    }

    /** Runs model/src/test/python/{@code script} with the arguments; its standard output, or a failure with its log. */
    public static String run(String script, String... args) throws Exception {
        return runIn(python(), ROOT.resolve("model/src/test/python").resolve(script), args);
    }

    /** Runs {@code script} with {@code python}; its standard output, or a failure with its log. */
    public static String runIn(Path python, Path script, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(python.toString(), script.toString()));
        command.addAll(List.of(args));
        Path log = Files.createTempFile("cnf-oracle-", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(900, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(script.getFileName() + " failed: " + out + "\n" + Files.readString(log));
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
