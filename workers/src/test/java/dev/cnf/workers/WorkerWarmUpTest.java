package dev.cnf.workers;

import dev.cnf.workflows.pipeline.PipelineInput;
import io.temporal.common.converter.DefaultDataConverter;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The warm-up a CPU worker runs before polling reads "{}" as the workflow would: the defaults, through the same converter. */
class WorkerWarmUpTest {
    @Test
    void theWarmUpReadsAnEmptyInputAsTheDefaults() {
        assertEquals(PipelineInput.defaults(), WorkerHost.warmUp(DefaultDataConverter.newDefaultInstance()));
    }
}
