package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.EvaluateActivities;
import dev.cnf.workflows.stages.TrainActivities;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CheckpointChoiceTest {
    static final TrainActivities.Result TRAINED = new TrainActivities.Result(600, 0.01, "run/train/controlnet.safetensors", "run/train/config.json",
            "run/train/metrics.jsonl", List.of(), "base", 150, null, 0);

    static EvaluateActivities.Result evaluated(String at, double edgeF1, boolean kept) {
        return new EvaluateActivities.Result("run/evaluate/" + at + "report.html", "run/evaluate/" + at + "metrics.json", 8, edgeF1, 0.1,
                kept ? "run/evaluate/" + at + "controlnet.safetensors" : null);
    }

    static TrainingWorkflow.Result trained(TrainingWorkflow.Evaluated... during) {
        return new TrainingWorkflow.Result(TRAINED, List.of(during));
    }

    @Test
    void thePeakDuringTrainingIsPublishedWhenTheLastStepScoresLower() {
        // the demo run: the probe peaked at step 500 (0.49) while the final weights scored 0.34
        CheckpointChoice.Publishable p = CheckpointChoice.best(trained(
                new TrainingWorkflow.Evaluated(200, evaluated("step-200/", 0.30, true)),
                new TrainingWorkflow.Evaluated(500, evaluated("step-500/", 0.49, true))), evaluated("", 0.34, false));
        assertEquals(new CheckpointChoice(500, 600, 3, 0.49, 0.34), p.choice());
        assertEquals("run/evaluate/step-500/controlnet.safetensors", p.trained().weightsKey());
        assertEquals("run/evaluate/step-500/report.html", p.evaluated().reportKey(), "its own report and gate metrics");
        assertEquals(600, p.trained().steps(), "the steps trained stay the run's");
    }

    @Test
    void theLastStepWinsATieAndAnUnkeptCheckpointIsNotACandidate() {
        CheckpointChoice.Publishable tie = CheckpointChoice.best(trained(
                new TrainingWorkflow.Evaluated(300, evaluated("step-300/", 0.40, true))), evaluated("", 0.40, false));
        assertEquals(600, tie.choice().step());
        assertEquals(TRAINED.weightsKey(), tie.trained().weightsKey());

        CheckpointChoice.Publishable unkept = CheckpointChoice.best(trained(
                new TrainingWorkflow.Evaluated(300, evaluated("step-300/", 0.90, false))), evaluated("", 0.40, false));
        assertEquals(600, unkept.choice().step(), "weights that were not kept cannot be published");

        CheckpointChoice.Publishable laterTie = CheckpointChoice.best(trained(
                new TrainingWorkflow.Evaluated(200, evaluated("step-200/", 0.45, true)),
                new TrainingWorkflow.Evaluated(400, evaluated("step-400/", 0.45, true))), evaluated("", 0.40, false));
        assertEquals(400, laterTie.choice().step(), "of equal scores, the later checkpoint");
    }
}
