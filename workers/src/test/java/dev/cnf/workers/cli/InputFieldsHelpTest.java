package dev.cnf.workers.cli;

import dev.cnf.workflows.pipeline.PipelineInput;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** `--help` and the README list the same input fields, defaults and meanings, and every field of the input. */
class InputFieldsHelpTest {
    @Test
    void theReadmeTableAndTheHelpComeFromOneSourceThatNamesEveryField() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf("| field | spec | default | meaning |");
        assertTrue(start >= 0, "the README's input table");
        String inReadme = readme.substring(start, readme.indexOf("\n\n", start) + 1);
        assertEquals(InputFieldsHelp.table(), inReadme,
                "README.md's input table must equal " + InputFieldsHelp.RESOURCE + " (copy one to the other)");

        Map<String, Integer> rowsNaming = new HashMap<>();
        for (String row : inReadme.split("\n")) {
            String[] cells = row.split("\\|");
            if (cells.length > 1) {
                Matcher m = Pattern.compile("`(\\w+)`").matcher(cells[1]);
                while (m.find()) {
                    rowsNaming.merge(m.group(1), 1, Integer::sum);
                }
            }
        }
        List<String> fields = new ArrayList<>(PipelineInput.RUN_FIELDS);
        fields.addAll(PipelineInput.FLAT_KEYS.keySet());
        for (String field : fields) {
            assertEquals(1, rowsNaming.getOrDefault(field, 0), field + " is in exactly one row of the table");
        }

        StringWriter help = new StringWriter();
        var cl = CnfCli.commandLine();
        cl.getSubcommands().get("run").usage(new PrintWriter(help));
        String shown = help.toString().replaceAll("\\s+", " "); // picocli wraps at the terminal's width
        for (String field : fields) {
            assertTrue(shown.contains(field), "`cnf run --help` names " + field);
        }
        assertTrue(shown.contains("trainSteps, batchSize, learningRate, seed, checkpointEvery [training / (run)] default 600, 8, 5e-3, 42, 100"),
                help.toString());
    }
}
