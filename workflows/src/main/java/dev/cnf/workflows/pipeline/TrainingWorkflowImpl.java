package dev.cnf.workflows.pipeline;

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

    private String stage = "train";
    private boolean paused;
    private int trainSteps;
    private int probeEvery;
    private int evalEvery;
    /** The step training has reached: the last segment's end, or later progress. */
    private int trainedTo;
    private TrainActivities.Progress progress;
    private final List<String> duringTraining = new ArrayList<>();
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
        paused = paused || in.paused();
        trainSteps = in.request().steps();
        probeEvery = in.request().probeEvery();
        evalEvery = in.evalEvery();
        parent = Workflow.newExternalWorkflowStub(PipelineWorkflow.class, in.parentWorkflowId());
        try {
            // With evalEvery, training runs in segments (each resumes from the previous one's final checkpoint, so the
            // weights are those of one uninterrupted run) and the checkpoint between them is evaluated.
            TrainActivities.Result trained;
            while (true) {
                Segment segmentRun = trainToNextEvaluation(in.request());
                trained = segmentRun.result();
                trainedTo = Math.max(trainedTo, trained.steps());
                if (trained.steps() >= trainSteps || trained.steps() < segmentRun.upTo()) {
                    break; // all steps trained, or stopped by the detector's patience
                }
                int step = trained.steps();
                waitWhilePaused("paused (before the evaluation at step " + step + ")");
                report("evaluate (step " + step + ")", null, null);
                sendReports();
                EvaluateActivities.Result mid = evaluate.evaluate(in.evaluation().of(trained, step, List.of()));
                duringTraining.add(mid.evalMetricsKey());
                report(null, null, String.format("evaluate at step %d: edge F1 %.3f (no control %.3f)", step, mid.edgeF1(),
                        mid.edgeF1NoControl()));
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

    /** @param upTo the step the segment was asked to reach: the next evaluation's or the last */
    private record Segment(TrainActivities.Result result, int upTo) {}

    /**
     * Trains until the next multiple of evalEvery (or trainSteps, if fewer). A pause or a settings change cancels the
     * activity, which writes a checkpoint before it stops; the next attempt resumes from it with the settings then in
     * force, an evaluation interval changed meanwhile included.
     */
    private Segment trainToNextEvaluation(TrainActivities.Request request) {
        while (true) {
            waitWhilePaused("paused (train at step " + (progress == null ? 0 : progress.step()) + ")");
            report("train", null, null);
            int from = Math.max(trainedTo, progress == null ? 0 : progress.step());
            int upTo = Math.min(evalEvery > 0 ? (from / evalEvery + 1) * evalEvery : Integer.MAX_VALUE, trainSteps);
            TrainActivities.Request segmentRequest = request.withSteps(upTo, probeEvery);
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

    private void waitWhilePaused(String pausedStage) {
        if (paused) {
            report(pausedStage, progress, null);
            sendReports();
            Workflow.await(() -> !paused);
        }
    }

    /** Queues a report; a null stage or a stage equal to the current one adds nothing of it. */
    private void report(String newStage, TrainActivities.Progress newProgress, String finished) {
        String changedStage = newStage == null || newStage.equals(stage) ? null : newStage;
        if (changedStage == null && newProgress == null && finished == null) {
            return;
        }
        if (changedStage != null) {
            stage = changedStage;
        }
        unsent.add(new Report(changedStage, newProgress, finished));
    }

    /** Whether the queued reports should go now rather than wait for more progress (see PROGRESS_FORWARD_MILLIS). */
    private boolean reportsDue() {
        if (unsent.isEmpty()) {
            return false;
        }
        for (Report r : unsent) {
            if (r.stage() != null || r.finished() != null || (r.progress() != null && (forwardNextProgress
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
        paused = true;
        interrupt();
    }

    @Override
    public void resume() {
        paused = false;
    }

    @Override
    public void change(TrainingControl settings) {
        if (settings.trainSteps() != null) {
            trainSteps = settings.trainSteps();
        }
        if (settings.probeEvery() != null) {
            probeEvery = settings.probeEvery();
        }
        if (settings.evalEvery() != null) {
            evalEvery = settings.evalEvery();
        }
        interrupt(); // the running activity has the old settings; it checkpoints and restarts
    }

    @Override
    public void trainingProgress(TrainActivities.Progress p) {
        if (p != null && (progress == null || p.step() >= progress.step())) {
            progress = p;
            // only the newest progress matters: it replaces a queued one that carries nothing else, unless that one is
            // the last to name its checkpoint (every checkpoint reaches the parent, however fast reports arrive)
            Report last = unsent.isEmpty() ? null : unsent.get(unsent.size() - 1);
            if (last != null && last.stage() == null && last.finished() == null && last.progress() != null
                    && java.util.Objects.equals(last.progress().lastCheckpointKey(), p.lastCheckpointKey())) {
                unsent.remove(unsent.size() - 1);
            }
            unsent.add(new Report(null, p, null));
        }
    }

    @Override
    public Status status() {
        return new Status(stage, progress, new TrainingControl(trainSteps, probeEvery, evalEvery), List.copyOf(duringTraining));
    }
}
