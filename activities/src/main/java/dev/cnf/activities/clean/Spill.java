package dev.cnf.activities.clean;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.cnf.activities.dataset.Drop;
import dev.cnf.activities.storage.Json;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** JSON lines written to a local temporary file, for tables too large for the heap; deleted on close. */
final class Spill implements AutoCloseable {
    private final Path file;
    private final OutputStream out;

    Spill(Path workDir) throws IOException {
        file = Files.createTempFile(workDir, "cnf-spill-", ".jsonl");
        out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
    }

    void write(Object row) {
        try {
            out.write(Json.MAPPER.writeValueAsBytes(row));
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes the writing side; the file stays until {@link #close}. */
    Path finish() throws IOException {
        out.close();
        return file;
    }

    /**
     * The cleaning report ({@code dropped} counts, every {@code drops} entry, {@code kept}, {@code seen}; keys in the
     * order {@link Json#bytes} writes them) into this spill's file, streaming the drops from {@code drops}.
     */
    Path writeReport(int seen, int kept, Map<String, Integer> dropped, Path drops) throws IOException {
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out).useDefaultPrettyPrinter();
             BufferedReader lines = Files.newBufferedReader(drops, StandardCharsets.UTF_8)) {
            g.writeStartObject();
            g.writeObjectField("dropped", dropped);
            g.writeArrayFieldStart("drops");
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                g.writeObject(Json.MAPPER.readValue(line, Drop.class));
            }
            g.writeEndArray();
            g.writeNumberField("kept", kept);
            g.writeNumberField("seen", seen);
            g.writeEndObject();
        }
        return finish();
    }

    @Override
    public void close() throws IOException {
        out.close();
        Files.deleteIfExists(file);
    }
}
