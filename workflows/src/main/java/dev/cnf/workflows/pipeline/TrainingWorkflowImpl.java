package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.spec.TrainingSpec;
import dev.cnf.workflows.stages.EvaluateActivities;
import dev.cnf.workflows.stages.TrainActivities;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;

import java.util.ArrayList;
import java.util.List;

/** Deterministic control of one run's training; the I/O is in the train and evaluate activities. */
public class TrainingWorkflowImpl implements TrainingWorkflow {
    private final TrainActivities train = StageActivities.train();
    private final EvaluateActivities evaluate = StageActivities.evaluate();

    private final RunControl control = new RunControl();
    private StageState state = StageState.of(Stage.TRAIN);
    /** The step training has reached: the last segment's end, or later progress. */
    private int trainedTo;
    private TrainActivities.Progress progress;
    private final List<Evaluated> duringTraining = new ArrayList<>();
    /** Reports not yet signalled to the parent, oldest first. */
    private final List<Report> unsent = new ArrayList<>();
    /** The running train activity's scope, cancelled to pause or to apply new settings. */
    private CancellationScope segment;
    private boolean interrupted;
    private PipelineWorkflow parent;
    /**
     * Progress that only moves the step on reaches the parent at most this often (a new checkpoint, a stage or an
     * evaluation at once). Each forwarded report costs this history three events and the parent's one; with the
     * activity's reports (about one a minute) a week of training stays near 16,000 events, under Temporal's 50,000.
     */
    static final long PROGRESS_FORWARD_MILLIS = 5 * 60_000L;
    private long lastForwardMillis = Long.MIN_VALUE / 2;
    private String lastForwardCheckpoint;
    /** The first progress of each activity attempt goes at once: it shows the (re)started training is running. */
    private boolean forwardNextProgress;

    @Override
    public Result run(Input in) {
        control.start(in.training(), in.paused());
        parent = Workflow.newExternalWorkflowStub(PipelineWorkflow.class, in.parentWorkflowId());
        try {
            // With evalEvery, training runs in segments (each resumes from the previous one's final checkpoint, so the
            // weights are those of one uninterrupted run) and the checkpoint between them is evaluated.
            TrainActivities.Result trained;
            while (true) {
                Segment segmentRun = trainToNextEvaluation(in.evaluation());
                trained = segmentRun.result();
                trainedTo = Math.max(trainedTo, trained.steps());
                if (trained.steps() >= control.training().trainSteps() || trained.steps() < segmentRun.upTo()) {
                    break; // all steps trained, or stopped by the detector's patience
                }
                evaluateCheckpoint(in.evaluation(), trained);
            }
            sendReports();
            return new Result(trained, List.copyOf(duringTraining));
        } catch (CanceledFailure | ActivityFailure e) {
            if (!CancellationScope.current().isCancelRequested()) {
                throw e;
            }
            // Cancelled: the train activity wrote its checkpoint before it stopped; the parent learns where.
            Workflow.newDetachedCancellationScope(this::sendReports).run();
            throw new CanceledFailure("training cancelled" + (progress == null || progress.lastCheckpointKey() == null ? ""
                    : "; last checkpoint " + progress.lastCheckpointKey()));
        }
    }

    /** Evaluates the checkpoint a segment ended at, after a pause if one holds. */
    private void evaluateCheckpoint(EvaluateActivities.Request evaluation, TrainActivities.Result trained) {
        int step = trained.steps();
        StageState evaluating = new StageState(Stage.EVALUATE, false, step);
        waitWhilePaused(evaluating.pausedAt(step));
        report(evaluating, null, null);
        sendReports();
        EvaluateActivities.Result mid = evaluate.evaluate(evaluation.of(control.training(), trained, step, List.of()));
        duringTraining.add(new Evaluated(step, mid));
        report(null, null, StatusLines.evaluatedAt(step, mid));
    }

    /** @param upTo the step the segment was asked to reach: the next evaluation's or the last */
    private record Segment(TrainActivities.Result result, int upTo) {}

    /**
     * Trains until the next multiple of evalEvery (or trainSteps, if fewer). A pause or a settings change cancels the
     * activity, which writes a checkpoint before it stops; the next attempt resumes from it with the settings then in
     * force, an evaluation interval changed meanwhile included.
     */
    private Segment trainToNextEvaluation(EvaluateActivities.Request ev) {
        while (true) {
            waitWhilePaused(StageState.of(Stage.TRAIN).pausedAt(progress == null ? 0 : progress.step()));
            report(StageState.of(Stage.TRAIN), null, null);
            TrainingSpec training = control.training();
            int from = Math.max(trainedTo, progress == null ? 0 : progress.step());
            int evalEvery = training.evalEvery();
            int upTo = Math.min(evalEvery > 0 ? (from / evalEvery + 1) * evalEvery : Integer.MAX_VALUE, training.trainSteps());
            TrainActivities.Request segmentRequest = new TrainActivities.Request(ev.run(), ev.split(), ev.model(), training,
                    ev.evaluation(), upTo);
            List<Promise<TrainActivities.Result>> running = new ArrayList<>(1);
            interrupted = false;
            forwardNextProgress = true;
            segment = Workflow.newCancellationScope(() -> running.add(Async.function(train::train, segmentRequest)));
            segment.run();
            Promise<TrainActivities.Result> result = running.get(0);
            try {
                while (!result.isCompleted()) {
                    Workflow.await(() -> result.isCompleted() || reportsDue());
                    sendQueuedReports();
                }
            } catch (CanceledFailure cancelled) {
                // This workflow is cancelled: the activity is too, and it checkpoints first (WAIT_CANCELLATION_COMPLETED).
            }
            try {
                return new Segment(result.get(), upTo);
            } catch (ActivityFailure e) {
                if (!(e.getCause() instanceof CanceledFailure) || !interrupted) {
                    throw e;
                }
                // Interrupted on purpose: loop to wait or restart with the new settings.
            } finally {
                segment = null;
            }
        }
    }

    private void waitWhilePaused(StageState paused) {
        if (control.paused()) {
            report(paused, progress, null);
            sendReports();
            control.awaitResumed();
        }
    }

    /** Queues a report; a null state or the current one adds nothing of it. */
    private void report(StageState newState, TrainActivities.Progress newProgress, String finished) {
        StageState changed = newState == null || newState.equals(state) ? null : newState;
        if (changed == null && newProgress == null && finished == null) {
            return;
        }
        if (changed != null) {
            state = changed;
        }
        unsent.add(new Report(changed, newProgress, finished));
    }

    /** Whether the queued reports should go now rather than wait for more progress (see PROGRESS_FORWARD_MILLIS). */
    private boolean reportsDue() {
        if (unsent.isEmpty()) {
            return false;
        }
        for (Report r : unsent) {
            if (r.state() != null || r.finished() != null || (r.progress() != null && (forwardNextProgress
                    || !java.util.Objects.equals(r.progress().lastCheckpointKey(), lastForwardCheckpoint)))) {
                return true;
            }
        }
        return Workflow.currentTimeMillis() - lastForwardMillis >= PROGRESS_FORWARD_MILLIS;
    }

    /**
     * Sends the reports queued now to the parent, oldest first. Those arriving while it sends wait for the next call:
     * each send takes a workflow task, during which the activity may report again.
     */
    private void sendQueuedReports() {
        List<Report> batch = new ArrayList<>(unsent);
        unsent.clear();
        for (int i = 0; i < batch.size(); i++) {
            Report next = batch.get(i);
            try {
                parent.trainingReport(next);
            } catch (CanceledFailure e) {
                unsent.addAll(0, batch.subList(i, batch.size())); // sent from the detached scope that reports a cancellation
                throw e;
            }
            lastForwardMillis = Workflow.currentTimeMillis();
            if (next.progress() != null) {
                lastForwardCheckpoint = next.progress().lastCheckpointKey();
                forwardNextProgress = false;
            }
        }
    }

    /** Sends every report, those arriving meanwhile included. */
    private void sendReports() {
        while (!unsent.isEmpty()) {
            sendQueuedReports();
        }
    }

    private void interrupt() {
        if (segment != null) {
            interrupted = true;
            segment.cancel();
        }
    }

    @Override
    public void pause() {
        control.pause();
        interrupt();
    }

    @Override
    public void resume() {
        control.resume();
    }

    @Override
    public void change(TrainingControl settings) {
        control.change(settings);
        interrupt(); // the running activity has the old settings; it checkpoints and restarts
    }

    @Override
    public void trainingProgress(TrainActivities.Progress p) {
        if (p != null && (progress == null || p.step() >= progress.step())) {
            progress = p;
            // only the newest progress matters: it replaces a queued one that carries nothing else, unless that one is
            // the last to name its checkpoint (every checkpoint reaches the parent, however fast reports arrive)
            Report last = unsent.isEmpty() ? null : unsent.get(unsent.size() - 1);
            if (last != null && last.state() == null && last.finished() == null && last.progress() != null
                    && java.util.Objects.equals(last.progress().lastCheckpointKey(), p.lastCheckpointKey())) {
                unsent.remove(unsent.size() - 1);
            }
            unsent.add(new Report(null, p, null));
        }
    }

    @Override
    public Status status() {
        return new Status(state, progress, control.schedule(), Evaluated.metricsKeys(duringTraining));
    }
}
