package dev.cnf.workers;

import dev.cnf.activities.storage.Json;
import dev.cnf.workflows.pipeline.PipelineInput;

import java.util.LinkedHashMap;
import java.util.Map;

/** Workflow inputs for tests, by field name (as the Temporal UI and `cnf run --input` give them); unnamed fields keep their defaults. */
public final class Inputs {
    private Inputs() {}

    public static PipelineInput of(Object... namesAndValues) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            fields.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return Json.MAPPER.convertValue(fields, PipelineInput.class);
    }
}
