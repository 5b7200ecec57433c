package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.spec.TrainingSpec;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.SignalExternalWorkflowException;
import io.temporal.workflow.Workflow;

/**
 * An operator's controls over one run, in workflow code: pause, resume, cancel, and the training schedule that an
 * update may change. {@link PipelineWorkflowImpl} holds the operators' copy (it validates updates and passes them on to
 * its children); {@link TrainingWorkflowImpl} holds what the parent passed on. Deterministic: plain state and awaits.
 */
final class RunControl {
    /**
     * What a child workflow takes of the controls, as signals.
     *
     * @param change told the training schedule now in force; children that do not train ignore it
     */
    record Target(Runnable pause, Runnable resume, java.util.function.Consumer<TrainingControl> change) {}

    private boolean paused;
    private String cancelReason;
    private TrainingSpec base;
    /** Changes of the schedule (null: as the input set it); kept apart so that a change arriving before start is not lost. */
    private Integer trainSteps;
    private Integer probeEvery;
    private Integer evalEvery;
    /** Counts accepted changes, so a waiting loop sees that a new one arrived. */
    private int changes;

    /** The training as the input set it; a pause already asked for stays. */
    void start(TrainingSpec training, boolean pausedAtStart) {
        base = training;
        paused = paused || pausedAtStart;
    }

    void pause() {
        paused = true;
    }

    void resume() {
        paused = false;
    }

    void cancel(String reason) {
        cancelReason = reason == null || reason.isBlank() ? "no reason given" : reason;
    }

    boolean paused() {
        return paused;
    }

    boolean cancelled() {
        return cancelReason != null;
    }

    String cancelReason() {
        return cancelReason;
    }

    /** The training with the schedule in force now. */
    TrainingSpec training() {
        return base.withSchedule(trainSteps, probeEvery, evalEvery);
    }

    /** The schedule in force; null before the run started. */
    TrainingControl schedule() {
        if (base == null) {
            return null;
        }
        TrainingSpec t = training();
        return new TrainingControl(t.trainSteps(), t.probeEvery(), t.evalEvery());
    }

    /**
     * Refuses a change that cannot apply, naming why.
     *
     * @param trainedSteps steps already trained: the step count may not go below them
     */
    static void validate(TrainingControl change, int trainedSteps, boolean trainingFinished) {
        if (change == null || (change.trainSteps() == null && change.probeEvery() == null && change.evalEvery() == null)) {
            throw new IllegalArgumentException("nothing to change: give trainSteps, probeEvery and/or evalEvery");
        }
        if (trainingFinished) {
            throw new IllegalArgumentException("training of this run has finished; start a new run instead");
        }
        int max = TrainingSpec.MAX_STEPS;
        if (change.trainSteps() != null && (change.trainSteps() <= trainedSteps || change.trainSteps() > max)) {
            throw new IllegalArgumentException("trainSteps " + change.trainSteps() + ": must be in (" + trainedSteps + ", " + max
                    + "]; " + trainedSteps + " steps are already trained");
        }
        if (change.probeEvery() != null && (change.probeEvery() < 1 || change.probeEvery() > max)) {
            throw new IllegalArgumentException("probeEvery " + change.probeEvery() + ": must be at least 1");
        }
        if (change.evalEvery() != null && (change.evalEvery() < 0 || change.evalEvery() > max)) {
            throw new IllegalArgumentException("evalEvery " + change.evalEvery() + ": must be 0 (no evaluation during training) or more");
        }
    }

    /** Applies a change (validated by the parent); answers the schedule now in force. */
    TrainingControl change(TrainingControl change) {
        trainSteps = change.trainSteps() != null ? change.trainSteps() : trainSteps;
        probeEvery = change.probeEvery() != null ? change.probeEvery() : probeEvery;
        evalEvery = change.evalEvery() != null ? change.evalEvery() : evalEvery;
        changes++;
        return schedule();
    }

    /** Waits while paused; a cancel ends the wait too. */
    void awaitResumed() {
        Workflow.await(() -> !paused || cancelReason != null);
    }

    /**
     * Waits for a child workflow, passing pause, resume and schedule changes on to it as they come; a cancel cancels the
     * child's scope (the child stops cleanly: training writes a checkpoint, shards in flight finish).
     *
     * @param childPaused   whether the child started paused
     * @param pauseForwarded told of each pause or resume passed on
     */
    void supervise(Promise<?> child, CancellationScope scope, Target target, boolean childPaused,
                   java.util.function.Consumer<Boolean> pauseForwarded) {
        boolean forwardedPause = childPaused;
        int forwardedChanges = changes;
        while (true) {
            boolean pauseNow = forwardedPause;
            int changesNow = forwardedChanges;
            Workflow.await(() -> child.isCompleted() || paused != pauseNow || changes != changesNow || cancelReason != null);
            if (child.isCompleted()) {
                return;
            }
            if (cancelReason != null) {
                scope.cancel();
                return;
            }
            try {
                if (paused != forwardedPause) {
                    forwardedPause = paused;
                    (paused ? target.pause() : target.resume()).run();
                    pauseForwarded.accept(paused);
                }
                if (changes != forwardedChanges) {
                    forwardedChanges = changes;
                    target.change().accept(schedule());
                }
            } catch (SignalExternalWorkflowException e) {
                // the child finished meanwhile: its result is on the way, nothing is left to pause or change
            }
        }
    }
}
