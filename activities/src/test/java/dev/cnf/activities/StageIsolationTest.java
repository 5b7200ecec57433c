package dev.cnf.activities;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A stage package (one per activity interface) uses only shared packages (storage, dataset, imaging, conditions,
 * models, registry, ...), never another stage: what two stages share lives in a shared package, so a stage can change
 * without breaking another. Reads the sources, imports and fully qualified names alike.
 */
class StageIsolationTest {
    static final Set<String> STAGES = Set.of("ingest", "clean", "caption", "condition", "train", "evaluate", "publish", "validate",
            "study");
    static final Pattern REFERENCE = Pattern.compile("dev\\.cnf\\.activities\\.([a-z]+)\\.");

    @Test
    void noStageUsesAnotherStage() throws IOException {
        Path root = Path.of("src/main/java/dev/cnf/activities");
        assertTrue(Files.isDirectory(root), "run from the activities module: " + root.toAbsolutePath());
        List<String> edges = new ArrayList<>();
        int files = 0;
        for (String stage : STAGES) {
            Path dir = root.resolve(stage);
            assertTrue(Files.isDirectory(dir), "stage package " + stage);
            try (Stream<Path> sources = Files.walk(dir)) {
                for (Path f : (Iterable<Path>) sources.filter(p -> p.toString().endsWith(".java"))::iterator) {
                    files++;
                    Matcher m = REFERENCE.matcher(Files.readString(f));
                    while (m.find()) {
                        if (STAGES.contains(m.group(1)) && !m.group(1).equals(stage)) {
                            edges.add(root.relativize(f) + " uses the " + m.group(1) + " stage");
                        }
                    }
                }
            }
        }
        assertTrue(files >= STAGES.size(), "read the stage sources");
        assertTrue(edges.isEmpty(), "move what stages share to a shared package:\n" + String.join("\n", edges));
    }
}
