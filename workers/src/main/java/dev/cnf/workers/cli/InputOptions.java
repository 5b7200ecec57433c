package dev.cnf.workers.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cnf.workflows.pipeline.PipelineInput;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The workflow input from {@code --input JSON|@file} plus {@code --set field=value} overrides; validated before any work. */
public class InputOptions {
    static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    @Option(names = "--input", description = "workflow input as JSON, or @path to a JSON file (default {})")
    String input;

    @Option(names = "--set", description = "override one input field, flat or nested: --set trainSteps=100 or"
            + " --set training.trainSteps=100 (repeatable)")
    List<String> sets = new ArrayList<>();

    /** {@code --input}'s JSON object: given inline or as {@code @path} (null: {}). */
    static ObjectNode readObject(String input) {
        try {
            String text = input == null ? "{}" : input.startsWith("@") ? Files.readString(Path.of(input.substring(1))) : input;
            if (!(JSON.readTree(text) instanceof ObjectNode obj)) {
                throw new IllegalArgumentException("--input must be a JSON object, got: " + text);
            }
            return obj;
        } catch (IOException e) {
            throw new IllegalArgumentException("--input is not readable JSON: " + e.getMessage());
        }
    }

    /** The input JSON with the --set overrides applied (not yet validated). */
    ObjectNode json() {
        ObjectNode node = readObject(input);
        for (String s : sets) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set '" + s + "' must look like field=value");
            }
            String value = s.substring(eq + 1);
            JsonNode v;
            try {
                v = JSON.readTree(value);
                if (v == null || v.isMissingNode()) {
                    v = JSON.getNodeFactory().textNode(value);
                }
            } catch (IOException e) {
                v = JSON.getNodeFactory().textNode(value);
            }
            String[] path = s.substring(0, eq).split("\\.", 2);
            if (path.length == 2) {
                JsonNode spec = node.get(path[0]);
                (spec instanceof ObjectNode o ? o : node.putObject(path[0])).set(path[1], v);
            } else {
                node.set(path[0], v);
            }
        }
        return node;
    }

    PipelineInput resolve() {
        ObjectNode node = json();
        PipelineInput in;
        try {
            in = JSON.treeToValue(node, PipelineInput.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException("bad input: " + e.getMessage());
        }
        List<String> problems = new java.util.ArrayList<>(in.problems());
        problems.addAll(dev.cnf.activities.validate.ValidateActivitiesImpl.modelProblems(in)); // the model library's own limits
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid input:\n  " + String.join("\n  ", problems));
        }
        return in;
    }
}
