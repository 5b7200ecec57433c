package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.spec.CaptionSpec;
import dev.cnf.workflows.spec.ConditionSpec;
import dev.cnf.workflows.spec.DatasetSplit;
import dev.cnf.workflows.spec.EvaluationSpec;
import dev.cnf.workflows.spec.ModelSpec;
import dev.cnf.workflows.spec.RunContext;
import dev.cnf.workflows.spec.TrainingSpec;
import dev.cnf.workflows.stages.EvaluateActivities;
import dev.cnf.workflows.stages.TrainActivities;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityInfo;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The training child's history budget: it passes the train activity's progress on to the parent at once only for a
 * new checkpoint or an attempt's first step, else at most every {@link TrainingWorkflowImpl#PROGRESS_FORWARD_MILLIS}
 * (not exercised here: the test server cannot skip time while an activity runs). The activity here is a stand-in that
 * only reports, quickly (real training is tested in the workers module); the parent only collects the reports.
 */
class TrainingWorkflowTest {
    static final int STEPS = 300;
    static final int CHECKPOINT_EVERY = 100;

    TestWorkflowEnvironment env;

    /** Stands in for the pipeline: only the training child's reports reach it here; it waits until terminated. */
    public static class ReportCollectingParent implements PipelineWorkflow {
        @Override
        public PipelineResult run(PipelineInput input) {
            Workflow.await(() -> false);
            return null;
        }

        @Override
        public PipelineStatus status() {
            return null;
        }

        @Override
        public void pause() {}

        @Override
        public void resume() {}

        @Override
        public void cancel(String reason) {}

        @Override
        public TrainingControl updateTraining(TrainingControl change) {
            return change;
        }

        @Override
        public void validateUpdateTraining(TrainingControl change) {}

        @Override
        public void trainingProgress(TrainActivities.Progress progress) {}

        @Override
        public void trainingReport(TrainingWorkflow.Report report) {}

        @Override
        public void datasetProgress(DatasetWorkflow.Progress progress) {}
    }

    /** Reports every step, with a checkpoint every CHECKPOINT_EVERY steps, every few milliseconds. */
    final class ReportingTraining implements TrainActivities {
        @Override
        public Result train(Request request) {
            ActivityInfo info = Activity.getExecutionContext().getInfo();
            var self = env.getWorkflowClient().newUntypedWorkflowStub(info.getWorkflowId(), Optional.of(info.getRunId()), Optional.empty());
            String checkpoint = null;
            for (int step = 1; step <= request.segmentEnd(); step++) {
                if (step % CHECKPOINT_EVERY == 0) {
                    checkpoint = "checkpoints/step-" + step + "/";
                }
                self.signal("trainingProgress", new Progress(step, request.segmentEnd(), 0.1, checkpoint, 1 / 60.0, (request.segmentEnd() - step) * 60.0));
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            return new Result(request.segmentEnd(), 0.1, "weights", "config", "metrics", List.of(), "sha", null, null, 0);
        }
    }

    @BeforeEach
    void start() {
        // real time: with time skipping the test server jumps its clock while the client waits, which would let the
        // five-minute rule forward reports that this test expects held back
        env = TestWorkflowEnvironment.newInstance(io.temporal.testing.TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
        Worker cpu = env.newWorker(TaskQueues.CPU);
        cpu.registerWorkflowImplementationTypes(TrainingWorkflowImpl.class, ReportCollectingParent.class);
        env.newWorker(TaskQueues.GPU).registerActivitiesImplementations(new ReportingTraining());
        env.start();
    }

    @AfterEach
    void stop() {
        env.close();
    }

    @Test
    void progressReachesTheParentSparinglyAndTheLastStepAlways() {
        WorkflowClient client = env.getWorkflowClient();
        PipelineWorkflow parent = client.newWorkflowStub(PipelineWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.CPU).setWorkflowId("parent").build());
        WorkflowClient.start(parent::run, PipelineInput.defaults());
        TrainingWorkflow training = client.newWorkflowStub(TrainingWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.CPU).setWorkflowId("parent/train").build());
        TrainingSpec steps = new TrainingSpec(STEPS, 4, 1e-3, 1000, 1000, null, null, null, null, null, null, null, null, null, null, null);
        EvaluateActivities.Request evaluation = new EvaluateActivities.Request(new RunContext("runs/x", "model", 1),
                new DatasetSplit("samples", 8, 2), ModelSpec.defaults(), ConditionSpec.defaults(), CaptionSpec.defaults(),
                EvaluationSpec.defaults(), steps, "clean-report", null, null, List.of());
        TrainingWorkflow.Result result = training.run(new TrainingWorkflow.Input("parent", steps, evaluation, false));
        assertEquals(STEPS, result.training().steps());

        List<TrainingWorkflow.Report> reports = client.fetchHistory("parent").getEvents().stream()
                .filter(HistoryEvent::hasWorkflowExecutionSignaledEventAttributes)
                .map(e -> e.getWorkflowExecutionSignaledEventAttributes())
                .filter(a -> a.getSignalName().equals("trainingReport"))
                .map(a -> io.temporal.common.converter.DefaultDataConverter.STANDARD_INSTANCE.fromPayloads(0,
                        Optional.of(a.getInput()), TrainingWorkflow.Report.class, TrainingWorkflow.Report.class))
                .toList();
        // the first step, each checkpoint and the last step (with at most one held report beside each checkpoint's),
        // not one report per progress signal. Reports that arrive while one is sent merge, so steps are checked in ranges.
        int checkpoints = STEPS / CHECKPOINT_EVERY;
        assertTrue(reports.size() >= 1 + checkpoints && reports.size() <= 2 + 2 * checkpoints,
                reports.size() + " reports for " + STEPS + " progress signals");
        assertTrue(reports.get(0).progress().step() < CHECKPOINT_EVERY, "the first step goes at once: " + reports.get(0).progress().step());
        TrainActivities.Progress last = reports.get(reports.size() - 1).progress();
        assertEquals(STEPS, last.step(), "the last step always reaches the parent");
        for (int step = CHECKPOINT_EVERY; step <= STEPS; step += CHECKPOINT_EVERY) {
            String checkpoint = "checkpoints/step-" + step + "/";
            TrainActivities.Progress first = reports.stream().map(TrainingWorkflow.Report::progress)
                    .filter(p -> p != null && checkpoint.equals(p.lastCheckpointKey())).findFirst().orElseThrow();
            // at once: before the next checkpoint, though with a later step when signals came faster than workflow tasks
            assertTrue(first.step() >= step && first.step() < step + CHECKPOINT_EVERY, "every checkpoint reaches the parent: "
                    + checkpoint + " at " + first.step());
        }
    }
}
