package dev.cnf.workflows;

import com.google.protobuf.ByteString;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.spec.CaptionSpec;
import dev.cnf.workflows.spec.TrainingSpec;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DefaultDataConverter;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PipelineInputTest {
    private static PipelineInput fromUi(String json) {
        // Exactly what the Temporal UI / CLI sends: a json/plain payload, decoded by the SDK's default converter.
        Payload p = Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
                .setData(ByteString.copyFrom(json, StandardCharsets.UTF_8)).build();
        return DefaultDataConverter.STANDARD_INSTANCE.fromPayload(p, PipelineInput.class, PipelineInput.class);
    }

    @Test
    void emptyObjectFromTheUiGivesEveryDefault() {
        PipelineInput in = fromUi("{}");
        assertEquals(PipelineInput.defaults(), in);
        assertEquals("controlnet-canny", in.name());
        assertEquals("canny", in.conditioning().condition());
        assertEquals("tiny", in.model().modelConfig());
        assertEquals(CaptionSpec.DEFAULT_PROMPT, in.caption().defaultPrompt());
        assertEquals(List.of(), in.data().sources());
        assertTrue(in.problems().isEmpty(), in.problems().toString());
    }

    @Test
    void partialInputKeepsOtherDefaults() {
        PipelineInput in = fromUi("{\"trainSteps\": 12, \"sources\": [\"https://example.org/gallery\"]}");
        assertEquals(12, in.training().trainSteps());
        assertEquals(8, in.training().batchSize());
        assertEquals(List.of("https://example.org/gallery"), in.data().sources());
    }

    @Test
    void problemsNameTheFieldAndTheFix() {
        PipelineInput in = fromUi("{\"trainSteps\": 0, \"condition\": \"mlsd\", \"sources\": [\"ftp://x\", \"s3://imports/photos/\"],"
                + " \"name\": \"Bad Name\", \"shardSize\": 0, \"maxAspectRatio\": 0.5}");
        List<String> p = in.problems();
        assertEquals(6, p.size(), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("shardSize 0: must be in [1,")));
        assertTrue(p.stream().anyMatch(s -> s.startsWith("maxAspectRatio 0.5: must be in [1, 100]")));
        List<String> models = fromUi("{\"condition\": \"depth\", \"captioner\": \"csv\", \"captionBeams\": 0}").problems();
        assertEquals(3, models.size(), models.toString());
        assertTrue(models.stream().anyMatch(s -> s.startsWith("annotatorModel: condition 'depth' needs a TorchScript or ONNX depth model")));
        assertTrue(models.stream().anyMatch(s -> s.startsWith("captionsFile: the csv captioner needs")));
        assertTrue(fromUi("{\"condition\": \"seg\", \"annotatorModel\": \"s3://models/seg.pt\"}").problems().isEmpty());
        assertEquals(List.of("imageFormat 'webp': choose one of [jpeg, png]"), fromUi("{\"imageFormat\": \"webp\"}").problems());
        assertEquals("png", fromUi("{\"data\": {\"imageFormat\": \"png\"}}").data().imageFormat());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("trainSteps 0: must be in [1,")));
        assertTrue(p.stream().anyMatch(s -> s.contains("condition 'mlsd': choose one of [canny, depth, hough, lineart, normal, pose, scribble, seg, sketch, softedge]")));
        assertTrue(p.stream().anyMatch(s -> s.contains("'ftp://x' is neither an http(s) URL nor s3://bucket/prefix")));
        assertTrue(p.stream().anyMatch(s -> s.startsWith("name 'Bad Name'")));
        List<String> modes = fromUi("{\"trainingMode\": \"large\", \"trainSteps\": 10}").problems();
        assertEquals(List.of("unlockBaseAt -1: trainingMode large needs the step to unlock the base UNet, in [1, trainSteps)"), modes);
        assertEquals(List.of("unlockBaseAt 4: only trainingMode large unlocks the base UNet; leave it unset (-1)"),
                fromUi("{\"unlockBaseAt\": 4}").problems());
        PipelineInput large = fromUi("{\"trainingMode\": \"large\", \"trainSteps\": 10, \"unlockBaseAt\": 5, \"learningRate\": 0.001}");
        assertTrue(large.problems().isEmpty(), large.problems().toString());
        assertEquals(1e-4, large.training().baseLearningRate(), 1e-15, "a tenth of the ControlNet's rate unless set");
        assertEquals(List.of("evalEvery 10: evaluates during training every this many steps, in [1, trainSteps); 0 evaluates only the end"),
                fromUi("{\"trainSteps\": 10, \"evalEvery\": 10}").problems());
        assertEquals("fp32", fromUi("{}").model().precision());
        assertTrue(fromUi("{\"precision\": \"bf16\"}").problems().isEmpty());
        assertEquals(List.of("precision 'int8': choose one of [fp32, fp16, bf16]"), fromUi("{\"precision\": \"int8\"}").problems());
        assertEquals(List.of("precision fp16: trainingMode large trains the base UNet, whose weights stay float32; use fp32"),
                fromUi("{\"trainingMode\": \"large\", \"trainSteps\": 10, \"unlockBaseAt\": 5, \"precision\": \"fp16\"}").problems());
    }

    @Test
    void thePapersAblationsAreValidatedOptions() {
        PipelineInput defaults = fromUi("{}");
        assertEquals(0.5, defaults.training().promptDropout(), "the paper's 50% empty prompts");
        assertEquals("zero", defaults.training().zeroConvInit());
        PipelineInput ablation = fromUi("{\"promptDropout\": 0, \"zeroConvInit\": \"gaussian\"}");
        assertTrue(ablation.problems().isEmpty(), ablation.problems().toString());
        assertEquals(0.0, ablation.training().promptDropout());
        List<String> p = fromUi("{\"promptDropout\": 1.5, \"zeroConvInit\": \"kaiming\"}").problems();
        assertEquals(2, p.size(), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("promptDropout 1.5: the share of prompts trained as empty strings, in [0, 1]")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("zeroConvInit 'kaiming': choose one of [zero, gaussian]")), p.toString());
        List<String> both = fromUi("{\"zeroConvInit\": \"gaussian\", \"continueFromLatest\": true}").problems();
        assertTrue(both.stream().anyMatch(s -> s.startsWith("zeroConvInit gaussian: only a fresh ControlNet")), both.toString());
    }

    @Test
    void selectingTheBestCheckpointNeedsEvaluationsDuringTraining() {
        assertEquals("last", fromUi("{}").evaluation().selectCheckpoint());
        assertTrue(fromUi("{\"selectCheckpoint\": \"best\", \"evalEvery\": 100}").problems().isEmpty());
        List<String> p = fromUi("{\"selectCheckpoint\": \"best\"}").problems();
        assertEquals(List.of("selectCheckpoint best: chooses among the checkpoints evaluated during training; set evalEvery (e.g. 150)"), p);
        List<String> large = fromUi("{\"selectCheckpoint\": \"best\", \"evalEvery\": 100, \"trainingMode\": \"large\", \"unlockBaseAt\": 50}").problems();
        assertEquals(1, large.size(), large.toString());
        assertTrue(large.get(0).startsWith("selectCheckpoint best: trainingMode large"), large.toString());
        assertTrue(fromUi("{\"selectCheckpoint\": \"first\"}").problems().get(0).startsWith("selectCheckpoint 'first': choose one of [last, best]"));
    }

    @Test
    void stableDiffusionPresetsTakeADiffusersFolderAndTheirOwnDefaults() {
        PipelineInput sd = fromUi("{\"modelConfig\": \"sd15\", \"baseModel\": \"s3://models/stable-diffusion-v1-5/\"}");
        assertTrue(sd.problems().isEmpty(), sd.problems().toString());
        assertEquals(512, sd.model().resolution(), "SD1.5's own size");
        assertEquals(1e-5, sd.training().learningRate(), 1e-15, "the paper's rate");
        assertEquals(9.0, sd.evaluation().guidanceScale(), "the paper's guidance");
        assertTrue(fromUi("{\"modelConfig\": \"tiny-sd\", \"baseModel\": \"/mnt/models/tiny-sd\"}").problems().isEmpty());
        assertTrue(fromUi("{\"modelConfig\": \"mid-sd\", \"baseModel\": \"random\"}").problems().isEmpty());

        List<String> noBase = fromUi("{\"modelConfig\": \"sd15\"}").problems();
        assertEquals(1, noBase.size(), noBase.toString());
        assertTrue(noBase.get(0).startsWith("baseModel '': preset sd15 needs a diffusers Stable Diffusion folder"), noBase.get(0));
        List<String> wrong = fromUi("{\"modelConfig\": \"sd15\", \"baseModel\": \"tiny-circles\", \"resolution\": 500}").problems();
        assertEquals(2, wrong.size(), wrong.toString());
        assertTrue(wrong.stream().anyMatch(s -> s.startsWith("resolution 500: preset sd15 needs a multiple of 64")), wrong.toString());
        assertEquals(List.of("baseModel 's3://models/sd/': the tiny preset takes one of [tiny-circles, random]"),
                fromUi("{\"baseModel\": \"s3://models/sd/\"}").problems());
        assertEquals(List.of("modelConfig 'sd21': choose one of [tiny, sd15, mid-sd, tiny-sd]"),
                fromUi("{\"modelConfig\": \"sd21\", \"baseModel\": \"random\"}").problems());
    }

    @Test
    void theGuidanceScaleIsTheBasesUnlessSet() {
        assertEquals(5.0, fromUi("{}").evaluation().guidanceScale(), "the shipped tiny-circles base's");
        assertEquals(9.0, fromUi("{\"baseModel\": \"random\"}").evaluation().guidanceScale(), "the paper's");
        assertEquals(7.5, fromUi("{\"guidanceScale\": 7.5}").evaluation().guidanceScale());
        assertEquals(12.0, fromUi("{\"modelConfig\": \"tiny-sd\", \"baseModel\": \"random\", \"guidanceScale\": 12}").evaluation().guidanceScale());
    }

    @Test
    void theNestedFormAndTheFlatFormAreTheSameInput() {
        PipelineInput nested = fromUi("{\"name\": \"edges\", \"training\": {\"trainSteps\": 120, \"learningRate\": 0.002},"
                + " \"data\": {\"maxImages\": 10}, \"conditioning\": {\"condition\": \"hough\"}, \"publish\": {\"version\": \"v1\"}}");
        PipelineInput flat = fromUi("{\"name\": \"edges\", \"trainSteps\": 120, \"learningRate\": 0.002, \"maxImages\": 10,"
                + " \"condition\": \"hough\", \"version\": \"v1\"}");
        assertEquals(nested, flat);
        assertEquals(120, flat.training().trainSteps());
        assertEquals("hough", flat.conditioning().condition());
        assertTrue(flat.problems().isEmpty(), flat.problems().toString());
        // mixed: a spec object beside flat keys of other specs
        assertEquals(nested, fromUi("{\"name\": \"edges\", \"training\": {\"trainSteps\": 120, \"learningRate\": 0.002},"
                + " \"maxImages\": 10, \"condition\": \"hough\", \"version\": \"v1\"}"));
    }

    /** The documented mapping: every flat key of the earlier input sets the spec field of the same name, and only that. */
    @Test
    void everyFlatKeyLandsInTheSpecFieldOfItsName() throws Exception {
        List<String> earlierKeys = List.of("name", "sources", "maxImages", "maxDepth", "minSide", "resolution", "captioner",
                "defaultPrompt", "condition", "modelConfig", "baseModel", "trainSteps", "batchSize", "learningRate", "seed",
                "checkpointEvery", "evalSamples", "evalSteps", "probeEvery", "guidanceScale", "version", "controlScale",
                "promotionTolerance", "userPrompt", "onlyNewData", "continueFromLatest", "shardSize", "parallelShards",
                "maxAspectRatio", "maxPixels", "nearDuplicateDistance", "followOtherHosts", "annotatorModel", "captionsFile",
                "captionModel", "captionBeams", "trainingMode", "reconnectSkipsAt", "stopAfterConvergence", "unlockBaseAt",
                "baseLearningRate", "shardsPerRun", "evalEvery", "precision", "imageFormat", "promptDropout", "zeroConvInit",
                "selectCheckpoint", "stopAfter", "dataset", "hintEncoder", "composeWith", "shuffleBuffer", "pairs", "validationImages", "validationPrompts", "augment",
                "aspectBuckets", "minBucketSide", "maxBucketSide");
        java.util.Set<String> known = new java.util.HashSet<>(PipelineInput.FLAT_KEYS.keySet());
        known.addAll(PipelineInput.RUN_FIELDS);
        assertEquals(java.util.Set.copyOf(earlierKeys), known, "no earlier key lost, none renamed");
        PipelineInput defaults = PipelineInput.defaults();
        for (var e : PipelineInput.FLAT_KEYS.entrySet()) {
            Object spec = PipelineInput.class.getMethod(e.getValue()).invoke(defaults);
            Object value = spec.getClass().getMethod(e.getKey()).invoke(spec);
            String json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(java.util.Map.of(e.getKey(), changed(value)));
            PipelineInput in = fromUi(json);
            Object set = spec.getClass().getMethod(e.getKey()).invoke(PipelineInput.class.getMethod(e.getValue()).invoke(in));
            assertEquals(changed(value), set, e.getKey() + " sets " + e.getValue() + "." + e.getKey());
            assertEquals(in, fromUi("{\"" + e.getValue() + "\": " + json + "}"), e.getKey() + " nested in " + e.getValue());
        }
    }

    /** A value of the same type that differs from the default. */
    private static Object changed(Object value) {
        if (value == null) { // pairs: none by default
            return new dev.cnf.workflows.spec.PairSpec("kohya", "/data/conditions", null, null, null);
        } else if (value instanceof Integer i) {
            return i + 3;
        } else if (value instanceof Long l) {
            return l + 3;
        } else if (value instanceof Double d) {
            return d / 2;
        } else if (value instanceof Boolean b) {
            return !b;
        } else if (value instanceof String s) {
            return s + "x";
        } else if (value instanceof List<?>) {
            return List.of("https://example.org/more");
        }
        throw new IllegalArgumentException(String.valueOf(value));
    }

    @Test
    void unknownAndDoubledFieldsAreNamedNotDropped() {
        List<String> p = fromUi("{\"trainStep\": 5, \"training\": {\"steps\": 4}, \"maxImages\": 3, \"data\": {\"maxImages\": 4}}").problems();
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("unknown input fields [trainStep, training.steps, maxImages (given twice: flat and in data)]"), p.get(0));
        assertTrue(p.get(0).contains("trainSteps"), "the known fields are listed: " + p.get(0));
    }

    @Test
    void aValueOfTheWrongTypeIsNamedBesideEveryOtherProblem() {
        List<String> p = fromUi("{\"trainSteps\": \"abc\", \"condition\": \"mlsd\", \"training\": {\"batchSize\": [1]},"
                + " \"seed\": \"soon\", \"guidanceScale\": 100}").problems();
        assertTrue(p.contains("trainSteps 'abc': must be a whole number"), p.toString());
        assertTrue(p.contains("batchSize [1]: must be a whole number"), p.toString());
        assertTrue(p.contains("seed 'soon': must be a whole number"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("condition 'mlsd'")), p.toString());
        assertTrue(p.contains("guidanceScale 100.0: must be in [1, 50]"), p.toString());
        assertEquals(5, p.size(), p.toString());
        assertEquals(12, fromUi("{\"trainSteps\": \"12\"}").training().trainSteps(), "a number given as text is read");
    }

    @Test
    void anInputSurvivesTheRoundTripThroughTemporal() {
        PipelineInput in = fromUi("{\"trainSteps\": 12, \"condition\": \"depth\", \"annotatorModel\": \"/m/depth.pt\"}");
        var converter = DefaultDataConverter.STANDARD_INSTANCE;
        PipelineInput back = converter.fromPayload(converter.toPayload(in).orElseThrow(), PipelineInput.class, PipelineInput.class);
        assertEquals(in, back);
        assertEquals(TrainingSpec.defaults().forModel(in.model()).withSchedule(12, null, null), back.training());
    }
}
