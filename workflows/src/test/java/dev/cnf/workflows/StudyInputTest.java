package dev.cnf.workflows;

import com.google.protobuf.ByteString;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.pipeline.PreparedDataset;
import dev.cnf.workflows.pipeline.StudyInput;
import dev.cnf.workflows.stages.CleanActivities;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DefaultDataConverter;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class StudyInputTest {
    private static StudyInput fromUi(String json) {
        Payload p = Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
                .setData(ByteString.copyFrom(json, StandardCharsets.UTF_8)).build();
        return DefaultDataConverter.STANDARD_INSTANCE.fromPayload(p, StudyInput.class, StudyInput.class);
    }

    @Test
    void emptyObjectFromTheUiRunsThePapersAblations() {
        StudyInput study = fromUi("{}");
        assertEquals(List.of(), study.problems());
        assertEquals(List.of("default", "gaussian-joins", "no-prompt-dropout", "paper-hint-encoder", "small-scale", "large-scale"),
                study.variants().stream().map(StudyInput.Variant::name).toList());
        List<StudyInput.Arm> arms = study.arms(null);
        assertEquals(5 + 5 * 3, arms.size(), "five seeds of the default, three of each other variant");
        StudyInput.Arm large = arms.stream().filter(a -> a.key().equals("large-scale-s2")).findFirst().orElseThrow();
        assertEquals("controlnet-canny-large-scale-s2", large.input().name());
        assertEquals(2L, large.input().seed());
        assertEquals("large", large.input().training().trainingMode());
        assertEquals(300, large.input().training().unlockBaseAt(), "halfway through the default 600 steps");
        assertEquals(0.0, arms.stream().filter(a -> a.variant().equals("no-prompt-dropout")).findFirst().orElseThrow()
                .input().training().promptDropout());
        assertEquals(study, fromUi(DefaultDataConverter.STANDARD_INSTANCE.toPayload(study).orElseThrow().getData().toStringUtf8()),
                "round-trips through the data converter");
    }

    @Test
    void aVariantOverridesTheBaseWhereverTheBaseGaveTheField() {
        StudyInput study = fromUi("{\"base\": {\"name\": \"edges\", \"training\": {\"trainSteps\": 40, \"promptDropout\": 0.5}, \"batchSize\": 4},"
                + " \"variants\": [{\"name\": \"no-dropout\", \"set\": {\"promptDropout\": 0.0}},"
                + " {\"name\": \"small-batch\", \"set\": {\"training.batchSize\": 2}, \"seeds\": [7]}], \"seeds\": [1, 2]}");
        assertEquals(List.of(), study.problems());
        List<StudyInput.Arm> arms = study.arms(null);
        assertEquals(List.of("no-dropout-s1", "no-dropout-s2", "small-batch-s7"), arms.stream().map(StudyInput.Arm::key).toList());
        PipelineInput noDropout = arms.get(0).input();
        assertEquals(0.0, noDropout.training().promptDropout(), "the nested base value is replaced, not reported as given twice");
        assertEquals(40, noDropout.training().trainSteps());
        assertEquals(4, noDropout.training().batchSize());
        assertEquals(2, arms.get(2).input().training().batchSize(), "the flat base value is replaced by the nested override");
        assertEquals("edges-small-batch-s7", arms.get(2).input().name());
    }

    @Test
    void everyArmTrainsOnTheOnePreparedDataset() {
        StudyInput study = fromUi("{\"variants\": [{\"name\": \"a\"}, {\"name\": \"b\", \"set\": {\"zeroConvInit\": \"gaussian\"}}], \"seeds\": [1]}");
        PreparedDataset dataset = new PreparedDataset("study/prepare", new CleanActivities.Result(10, 9, Map.of("TOO_SMALL", 1),
                "runs/x/clean/samples.jsonl", "runs/x/clean/report.json"), "runs/x/condition/samples.jsonl", 9, 64, "canny");
        for (StudyInput.Arm arm : study.arms(dataset)) {
            assertEquals(dataset, arm.input().dataset());
            assertEquals(List.of(), arm.input().problems());
        }
        PipelineInput preparation = PipelineInput.fromJson(PipelineInput.override(Map.of(), Map.of("stopAfter", "condition")));
        assertTrue(preparation.stopsAfterCondition());
        PipelineInput wrongSize = PipelineInput.fromJson(PipelineInput.override(Map.of("resolution", 128), Map.of("dataset", dataset)));
        assertEquals(List.of("dataset: prepared at resolution 64 by study/prepare, this run trains at 128; set resolution 64 or prepare the"
                + " dataset again"), wrongSize.problems());
    }

    @Test
    void aBadStudyNamesEveryProblem() {
        StudyInput study = fromUi("{\"base\": {\"trainSteps\": 0, \"stopAfter\": \"condition\"}, \"variants\": [{\"name\": \"A b\"},"
                + " {\"name\": \"x\", \"set\": {\"seed\": 3}}, {\"name\": \"x\"}], \"seeds\": [1, 1], \"parallelArms\": 0, \"colour\": 1}");
        List<String> problems = study.problems();
        String all = String.join("\n", problems);
        assertTrue(all.contains("unknown study field [colour]"), all);
        assertTrue(all.contains("base: trainSteps 0"), all);
        assertTrue(all.contains("base: stopAfter and dataset are the study's to set"), all);
        assertTrue(all.contains("variant name 'A b'"), all);
        assertTrue(all.contains("variant name 'x' is given twice"), all);
        assertTrue(all.contains("variant x sets seed"), all);
        assertTrue(all.contains("seeds [1, 1] must be a non-empty list without repeats"), all);
        assertTrue(all.contains("parallelArms 0"), all);

        List<String> armProblems = fromUi("{\"variants\": [{\"name\": \"bad\", \"set\": {\"zeroConvInit\": \"ones\"}}]}").problems();
        assertEquals(1, armProblems.size(), "once per variant, not per seed: " + armProblems);
        assertTrue(armProblems.get(0).startsWith("variant bad: zeroConvInit 'ones'"), armProblems.toString());
        assertTrue(fromUi("{\"variants\": \"x\"}").problems().get(0).startsWith("variants x: must be a list"));
    }
}
