package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.spec.DatasetSplit;
import dev.cnf.workflows.spec.RunContext;
import dev.cnf.workflows.stages.CaptionActivities;
import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.ConditionActivities;
import dev.cnf.workflows.stages.EvaluateActivities;
import dev.cnf.workflows.stages.IngestActivities;
import dev.cnf.workflows.stages.PublishActivities;
import dev.cnf.workflows.stages.TrainActivities;
import dev.cnf.workflows.stages.ValidateActivities;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.ChildWorkflowCancellationType;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Functions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Deterministic orchestration only: every byte of I/O happens in the activities. */
public class PipelineWorkflowImpl implements PipelineWorkflow {
    /** Failure type for input the workflow refuses; never retried. */
    public static final String INVALID_INPUT = StageActivities.INVALID_INPUT;
    private static final DateTimeFormatter VERSION_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    // Discovery, validation and the cross-shard dedupe run here; the shards and every later stage run in child workflows.
    private final ValidateActivities validate = StageActivities.validate();
    private final IngestActivities ingest = StageActivities.ingest();
    private final CleanActivities clean = StageActivities.clean();
    private final RunControl control = new RunControl();

    private StageState state = StageState.of(Stage.STARTING);
    private String version = "";
    private final List<String> completed = new ArrayList<>();
    private PipelineStatus.DatasetProgress dataset;
    private TrainActivities.Progress trainingProgress;
    private boolean trainingDone;
    private PublishActivities.Result published;
    private String error;

    @Override
    public PipelineResult run(PipelineInput raw) {
        try {
            return runStages(raw == null ? PipelineInput.defaults() : raw);
        } catch (ActivityFailure | ChildWorkflowFailure e) {
            // Keep the status query truthful after a stage gave up its retries.
            error = state.stage().id() + " failed: " + failureReason(e);
            state = StageState.of(Stage.FAILED);
            throw e;
        }
    }

    private PipelineResult runStages(PipelineInput in) {
        if (!in.problems().isEmpty()) {
            throw fail("invalid input: " + String.join("; ", in.problems()), INVALID_INPUT);
        }
        control.start(in.training(), false);
        WorkflowInfo info = Workflow.getInfo();
        version = in.publish().version().isEmpty()
                ? VERSION_TIME.format(Instant.ofEpochMilli(Workflow.currentTimeMillis())) + "-" + info.getRunId().substring(0, 8)
                : in.publish().version();
        // One prefix per run: an activity retried inside this run rewrites the very same keys.
        RunContext run = new RunContext("runs/" + info.getWorkflowId() + "/" + info.getRunId(), in.name(), in.seed());

        // What only I/O can tell (annotator files, S3 sources) is checked by a first activity.
        state = StageState.of(Stage.VALIDATE);
        validate.validate(in);
        PreparedDataset prepared = in.dataset() != null ? given(in.dataset()) : prepare(run, in);
        if (in.stopsAfterCondition()) {
            state = StageState.of(Stage.DONE);
            return PipelineResult.prepared(in.name(), prepared);
        }
        CleanActivities.Result cl = prepared.cleaned();

        // The held-out split, made once: training never trains on it and probes it, evaluation samples it.
        DatasetSplit split = DatasetSplit.of(prepared.samplesKey(), prepared.conditioned(), in.evaluation());
        EvaluateActivities.Request evaluation = new EvaluateActivities.Request(run, split, in.model(), in.conditioning(), in.caption(),
                in.evaluation(), control.training(), cl.reportKey(), null, null, List.of());
        TrainingWorkflow.Result trained = trainInChild(evaluation);
        TrainActivities.Result tr = trained.training();
        completed.add(StatusLines.train(tr));

        enter(Stage.EVALUATE);
        EvaluateActivities.Result ev = stageChild(StageWorkflows.EvaluationWorkflow.class, Stage.EVALUATE)
                .run(evaluation.of(control.training(), tr, null, trained.duringTrainingKeys()));
        completed.add(StatusLines.evaluate(ev));
        CheckpointChoice.Publishable chosen = in.evaluation().selectsBest() ? CheckpointChoice.best(trained, ev)
                : new CheckpointChoice.Publishable(tr, ev, null);

        enter(Stage.PUBLISH);
        PublishActivities.RunFacts facts = new PublishActivities.RunFacts(info.getWorkflowId(), info.getRunId(), in, cl);
        published = stageChild(StageWorkflows.PublishWorkflow.class, Stage.PUBLISH)
                .run(new PublishActivities.Request(run, version, facts, chosen.trained(), chosen.evaluated(), prepared.samplesKey(), chosen.choice()));
        completed.add(StatusLines.publish(published));
        state = StageState.of(Stage.DONE);
        return new PipelineResult(in.name(), version, published.modelUri(), published.manifestUri(), published.reportUri(), cl.seen(), cl.kept(),
                tr.steps(), tr.finalLoss(), chosen.evaluated().edgeF1(), published.promoted(), published.decision(), tr.convergedStep(),
                tr.metricsKey(), chosen.evaluated().evalMetricsKey(), prepared);
    }

    /** Ingest, clean, caption and condition: the dataset this run trains on. */
    private PreparedDataset prepare(RunContext run, PipelineInput in) {
        CleanActivities.Result cl = ingestAndClean(run, in);

        enter(Stage.CAPTION);
        CaptionActivities.Result cap = stageChild(StageWorkflows.CaptionWorkflow.class, Stage.CAPTION)
                .run(new CaptionActivities.Request(run, cl.samplesKey(), in.caption(), in.model()));
        completed.add(StatusLines.caption(cap));

        enter(Stage.CONDITION);
        ConditionActivities.Result cond = stageChild(StageWorkflows.ConditionWorkflow.class, Stage.CONDITION)
                .run(new ConditionActivities.Request(run, cap.samplesKey(), in.conditioning()));
        completed.add(StatusLines.condition(cond, in.conditioning().condition()));
        return new PreparedDataset(Workflow.getInfo().getWorkflowId(), cl, cond.samplesKey(), cond.conditioned(), in.model().resolution(),
                in.conditioning().condition());
    }

    /** Another run's dataset: nothing to ingest; the status lists where it came from. */
    private PreparedDataset given(PreparedDataset dataset) {
        completed.add(StatusLines.given(dataset));
        return dataset;
    }

    /** The activity's own message, however many child workflows (dataset, shard, stage, a study's arm) it failed through. */
    static String failureReason(Throwable e) {
        Throwable cause = e;
        while (cause != null && !(cause instanceof ApplicationFailure)) {
            cause = cause.getCause();
        }
        return cause instanceof ApplicationFailure af ? af.getOriginalMessage() : e.getMessage();
    }

    /** Between stages: waits while paused, stops if cancelled, then starts {@code next}. */
    private void enter(Stage next) {
        if (control.paused() && !control.cancelled()) {
            state = StageState.of(next).pausedAt(null);
            control.awaitResumed();
        }
        if (control.cancelled()) {
            throw cancelled(next.id());
        }
        state = StageState.of(next);
    }

    private ApplicationFailure cancelled(String where) {
        String checkpoint = trainingProgress == null || trainingProgress.lastCheckpointKey() == null ? ""
                : "; last checkpoint " + trainingProgress.lastCheckpointKey();
        error = "cancelled by operator before " + where + ": " + control.cancelReason() + checkpoint;
        state = StageState.of(Stage.CANCELLED);
        return ApplicationFailure.newNonRetryableFailure(error, "Cancelled");
    }

    private ApplicationFailure fail(String message, String type) {
        error = message;
        state = StageState.of(Stage.FAILED);
        return ApplicationFailure.newNonRetryableFailure(message, type);
    }

    /**
     * Discovery writes shards of image references; each shard is fetched and then cleaned by its own activities (any
     * worker on the CPU queue), at most {@code parallelShards} shards in flight. A shard that fails is retried alone;
     * finished shards keep their stored results. Duplicates across shards are removed at the end.
     */
    private CleanActivities.Result ingestAndClean(RunContext run, PipelineInput in) {
        enter(Stage.INGEST);
        IngestActivities.Discovery found = ingest.discover(new IngestActivities.DiscoverRequest(run, in.data(), in.conditioning().condition()));
        dataset = PipelineStatus.DatasetProgress.discovered(found.shardCount(), found.refs(), DatasetWorkflow.Progress.count(found.dropped()));
        if (found.refs() == 0) {
            String pages = found.pageFailures().isEmpty() ? "the pages had no <img> tags and the lists no URLs"
                    : "pages failed" + StatusLines.reasons(found.pageFailures());
            throw fail("no images found at the sources: " + pages + "; details in " + found.pageFailuresKey(), "NoData");
        }
        ShardWorkflow.Input shard = new ShardWorkflow.Input(run, 0, 0, in.data(), in.model(), in.conditioning());
        boolean paused = control.paused(); // the child starts so; the supervising loop passes on later changes
        DatasetWorkflow.Input shards = new DatasetWorkflow.Input(Workflow.getInfo().getWorkflowId(), found.shardsPerLane(),
                java.util.Collections.nCopies(found.shardsPerLane().size(), 0), shard, paused);
        DatasetWorkflow child = Workflow.newChildWorkflowStub(DatasetWorkflow.class, supervisedChildOptions(Stage.INGEST));
        supervise(child, child::run, shards, paused, new RunControl.Target(child::pause, child::resume, schedule -> {}),
                nowPaused -> state = new StageState(Stage.INGEST, nowPaused, null), "the end of ingestion");
        completed.add(StatusLines.ingest(dataset, found));

        enter(Stage.CLEAN);
        // the shards' results are where their activities stored them: no per-shard list travels through histories
        CleanActivities.Result cl = clean.dedupe(new CleanActivities.DedupeRequest(run, List.of(found.dropsKey()), found.refs(),
                found.shardCount(), in.data()));
        completed.add(StatusLines.clean(cl));
        if (cl.kept() == 0 && in.data().onlyNewData() && cl.dropped().containsKey("ALREADY_TRAINED")) {
            throw fail("nothing new to train on: all " + cl.seen() + " images were in the latest version's training data"
                    + StatusLines.reasons(cl.dropped()), "NoNewData");
        }
        if (cl.kept() == 0) {
            throw fail("no usable images: all " + cl.seen() + " were dropped" + StatusLines.reasons(cl.dropped()), "NoData");
        }
        return cl;
    }

    /**
     * Training in a {@link TrainingWorkflow} child. This run stays the operators' point of control: pause, resume and
     * validated updates are passed on as signals; cancel cancels the child, whose training writes a checkpoint first.
     * The child's reports keep the status query's stage and training progress current.
     */
    private TrainingWorkflow.Result trainInChild(EvaluateActivities.Request evaluation) {
        enter(Stage.TRAIN);
        boolean paused = control.paused(); // as the child starts, after any pause between stages ended
        TrainingWorkflow.Input input = new TrainingWorkflow.Input(Workflow.getInfo().getWorkflowId(), control.training(), evaluation, paused);
        TrainingWorkflow child = Workflow.newChildWorkflowStub(TrainingWorkflow.class, supervisedChildOptions(Stage.TRAIN));
        TrainingWorkflow.Result trained = supervise(child, child::run, input, paused, new RunControl.Target(child::pause, child::resume,
                child::change), state -> {}, "the end of training");
        trainingDone = true;
        return trained;
    }

    /**
     * Runs a child workflow under the operators' controls ({@link RunControl#supervise}); its result, or if the operator
     * cancelled, the run's cancellation instead of the child's failure.
     */
    /** @param startedPaused the pause state the child's input gave it: what the loop forwards changes from */
    private <I, R> R supervise(Object stub, Functions.Func1<I, R> run, I input, boolean startedPaused, RunControl.Target target,
                               Consumer<Boolean> pauseForwarded, String where) {
        List<Promise<R>> started = new ArrayList<>(1);
        CancellationScope scope = Workflow.newCancellationScope(() -> started.add(Async.function(run, input)));
        scope.run();
        Promise<R> result = started.get(0);
        Workflow.getWorkflowExecution(stub).get(); // started: signals can reach it
        control.supervise(result, scope, target, startedPaused, pauseForwarded);
        try {
            return result.get();
        } catch (ChildWorkflowFailure | CanceledFailure e) {
            if (control.cancelled()) {
                throw cancelled(where);
            }
            throw e;
        }
    }

    /** A single-activity stage's child workflow, {@code <run id>/<stage>}; its workflow tasks run on the CPU queue like its parent's. */
    private static <T> T stageChild(Class<T> type, Stage stage) {
        return Workflow.newChildWorkflowStub(type, childOptions(stage).build());
    }

    /** A child that the run supervises: a cancel waits until the child has stopped cleanly. */
    private static ChildWorkflowOptions supervisedChildOptions(Stage stage) {
        return childOptions(stage).setCancellationType(ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED).build();
    }

    private static ChildWorkflowOptions.Builder childOptions(Stage stage) {
        String id = StageWorkflows.childId(Workflow.getInfo().getWorkflowId(), stage == Stage.INGEST ? "dataset" : stage.id());
        return ChildWorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(StageActivities.cpuQueue());
    }

    @Override
    public void pause() {
        control.pause(); // a running child is told by the loop that supervises it
    }

    @Override
    public void resume() {
        control.resume();
    }

    @Override
    public void cancel(String reason) {
        control.cancel(reason);
    }

    @Override
    public void validateUpdateTraining(TrainingControl change) {
        RunControl.validate(change, trainingProgress == null ? 0 : trainingProgress.step(), trainingDone || state.stage().finished());
    }

    @Override
    public TrainingControl updateTraining(TrainingControl change) {
        return control.change(change); // the training child is told by the loop that supervises it, and restarts its activity
    }

    @Override
    public void trainingProgress(TrainActivities.Progress progress) {
        if (progress != null && (trainingProgress == null || progress.step() >= trainingProgress.step())) {
            trainingProgress = progress;
        }
    }

    @Override
    public void trainingReport(TrainingWorkflow.Report report) {
        if (report == null) {
            return;
        }
        trainingProgress(report.progress());
        if (report.state() != null) {
            state = report.state();
        }
        if (report.finished() != null) {
            completed.add(report.finished());
        }
    }

    @Override
    public void datasetProgress(DatasetWorkflow.Progress p) {
        if (p != null && dataset != null) {
            dataset = dataset.plus(p);
        }
    }

    @Override
    public PipelineStatus status() {
        return new PipelineStatus(Workflow.getInfo().getWorkflowId(), version, state, state.describe(), List.copyOf(completed),
                published == null ? null : published.reportUri(), published == null ? null : published.modelUri(), error,
                control.paused(), control.cancelReason(), trainingProgress, control.schedule(), dataset);
    }
}
