package dev.cnf.workers.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The workflow input's fields, defaults and meanings for `--help`, from the table the README shows: both come from
 * {@code dev/cnf/workflows/pipeline/input-fields.md}, and a test keeps the README's copy equal to it.
 */
final class InputFieldsHelp {
    static final String RESOURCE = "/dev/cnf/workflows/pipeline/input-fields.md";

    private InputFieldsHelp() {}

    /** The table as written (markdown). */
    static String table() {
        try (InputStream in = InputFieldsHelp.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The footer of `run` and `demo --help`: one paragraph per row, fields first. */
    static String[] footer() {
        List<String> lines = new ArrayList<>(List.of("", "Input fields (--set FIELD=VALUE, or nested as --set SPEC.FIELD=VALUE; the README has the same table):"));
        for (String row : table().split("\n")) {
            String[] cells = row.split("(?<!\\\\)\\|");
            if (cells.length < 5 || cells[1].strip().equals("field") || cells[1].strip().startsWith("---")) {
                continue;
            }
            lines.add(String.format("  %s [%s] default %s: %s", plain(cells[1]), plain(cells[2]), plain(cells[3]), plain(cells[4])));
        }
        return lines.toArray(String[]::new);
    }

    private static String plain(String markdown) {
        return markdown.strip().replace("`", "").replace("\\|", "|").replace("%", "%%");
    }
}
