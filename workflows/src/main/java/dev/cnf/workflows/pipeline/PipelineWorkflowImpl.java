package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.TaskQueues;
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
import io.temporal.workflow.Promise;
import io.temporal.workflow.SignalExternalWorkflowException;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Deterministic orchestration only: every byte of I/O happens in the activities. */
public class PipelineWorkflowImpl implements PipelineWorkflow {
    /** Failure type for input the workflow refuses; never retried. */
    public static final String INVALID_INPUT = StageActivities.INVALID_INPUT;
    private static final DateTimeFormatter VERSION_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    // Discovery, validation and the cross-shard dedupe run here; the shards and every later stage run in child workflows.
    private final ValidateActivities validate = StageActivities.validate();
    private final IngestActivities ingest = StageActivities.ingest();
    private final CleanActivities clean = StageActivities.clean();

    private String stage = "starting";
    private PipelineStatus.DatasetProgress dataset;
    private String version = "";
    private final List<String> completed = new ArrayList<>();
    private String reportUri;
    private String modelUri;
    private String error;
    private boolean paused;
    private String cancelReason;
    private TrainActivities.Progress trainingProgress;
    private int trainSteps;
    private int probeEvery;
    private int evalEvery;
    private boolean trainingDone;
    /** Counts accepted training updates; the training child is told of each. */
    private int trainingChanges;
    /** Largest step counts an update may set; the same bound the input check uses. */
    private static final int MAX_TRAIN_STEPS = 10_000_000;

    @Override
    public PipelineResult run(PipelineInput raw) {
        try {
            return runStages(raw);
        } catch (ActivityFailure | ChildWorkflowFailure e) {
            // Keep the status query truthful after a stage gave up its retries: the activity's own message, however
            // many child workflows (dataset, shard, stage) it failed through.
            Throwable cause = e;
            while (cause != null && !(cause instanceof ApplicationFailure)) {
                cause = cause.getCause();
            }
            error = stage + " failed: " + (cause instanceof ApplicationFailure af ? af.getOriginalMessage() : e.getMessage());
            stage = "failed";
            throw e;
        }
    }

    /** Between stages: wait while paused; stop if cancelled. */
    private void checkpointBetweenStages(String next) {
        if (paused && cancelReason == null) {
            String was = stage;
            stage = "train".equals(next) && trainingProgress != null
                    ? "paused (train at step " + trainingProgress.step() + ")" : "paused (before " + next + ")";
            Workflow.await(() -> !paused || cancelReason != null);
            stage = was;
        }
        if (cancelReason != null) {
            throw cancelled(next);
        }
    }

    private ApplicationFailure cancelled(String where) {
        String checkpoint = trainingProgress == null || trainingProgress.lastCheckpointKey() == null ? ""
                : "; last checkpoint " + trainingProgress.lastCheckpointKey();
        error = "cancelled by operator before " + where + ": " + cancelReason + checkpoint;
        stage = "cancelled";
        return ApplicationFailure.newNonRetryableFailure(error, "Cancelled");
    }

    /** The training as the input asks for it, with the step count and probe interval in force now. */
    private TrainActivities.Request trainRequest(String prefix, String samplesKey, PipelineInput in) {
        return new TrainActivities.Request(prefix, samplesKey, in.modelConfig(), in.baseModel(), in.resolution(), trainSteps,
                in.batchSize(), in.learningRate(), in.seed(), in.checkpointEvery(), in.evalSamples(), probeEvery, in.guidanceScale(),
                in.continueFromLatest() ? in.name() : null, in.trainingMode(), in.reconnectSkipsAt(), in.stopAfterConvergence(),
                in.unlockBaseAt(), in.baseLearningRate(), in.precision());
    }

    @Override
    public void pause() {
        paused = true; // a running stage child is told by the loop that waits for it
    }

    @Override
    public void resume() {
        paused = false;
    }

    @Override
    public void cancel(String reason) {
        cancelReason = reason == null || reason.isBlank() ? "no reason given" : reason;
    }

    @Override
    public void validateUpdateTraining(TrainingControl change) {
        if (change == null || (change.trainSteps() == null && change.probeEvery() == null && change.evalEvery() == null)) {
            throw new IllegalArgumentException("nothing to change: give trainSteps, probeEvery and/or evalEvery");
        }
        if (trainingDone || "done".equals(stage) || "failed".equals(stage) || "cancelled".equals(stage)) {
            throw new IllegalArgumentException("training of this run has finished; start a new run instead");
        }
        int done = trainingProgress == null ? 0 : trainingProgress.step();
        if (change.trainSteps() != null && (change.trainSteps() <= done || change.trainSteps() > MAX_TRAIN_STEPS)) {
            throw new IllegalArgumentException("trainSteps " + change.trainSteps() + ": must be in (" + done + ", " + MAX_TRAIN_STEPS
                    + "]; " + done + " steps are already trained");
        }
        if (change.probeEvery() != null && (change.probeEvery() < 1 || change.probeEvery() > MAX_TRAIN_STEPS)) {
            throw new IllegalArgumentException("probeEvery " + change.probeEvery() + ": must be at least 1");
        }
        if (change.evalEvery() != null && (change.evalEvery() < 0 || change.evalEvery() > MAX_TRAIN_STEPS)) {
            throw new IllegalArgumentException("evalEvery " + change.evalEvery() + ": must be 0 (no evaluation during training) or more");
        }
    }

    @Override
    public TrainingControl updateTraining(TrainingControl change) {
        if (change.trainSteps() != null) {
            trainSteps = change.trainSteps();
        }
        if (change.probeEvery() != null) {
            probeEvery = change.probeEvery();
        }
        if (change.evalEvery() != null) {
            evalEvery = change.evalEvery();
        }
        trainingChanges++; // the training child is told by the loop that waits for it, and restarts its activity
        return new TrainingControl(trainSteps, probeEvery, evalEvery);
    }

    @Override
    public void trainingProgress(TrainActivities.Progress progress) {
        if (progress != null && (trainingProgress == null || progress.step() >= trainingProgress.step())) {
            trainingProgress = progress;
        }
    }

    private PipelineResult runStages(PipelineInput raw) {
        PipelineInput in = raw == null ? PipelineInput.defaults() : raw;
        List<String> problems = in.problems();
        if (!problems.isEmpty()) {
            throw fail("invalid input: " + String.join("; ", problems), INVALID_INPUT);
        }
        trainSteps = in.trainSteps();
        probeEvery = in.probeEvery();
        evalEvery = in.evalEvery();
        WorkflowInfo info = Workflow.getInfo();
        version = in.version().isEmpty()
                ? VERSION_TIME.format(Instant.ofEpochMilli(Workflow.currentTimeMillis())) + "-" + info.getRunId().substring(0, 8)
                : in.version();
        // One prefix per run: an activity retried inside this run rewrites the very same keys.
        String prefix = "runs/" + info.getWorkflowId() + "/" + info.getRunId();

        // What only I/O can tell (annotator files, S3 sources) is checked by a first activity.
        stage = "validate";
        validate.validate(in);

        CleanActivities.Result cl = ingestAndClean(prefix, in);
        if (cl.kept() == 0 && in.onlyNewData() && cl.dropped().containsKey("ALREADY_TRAINED")) {
            throw fail("nothing new to train on: all " + cl.seen() + " images were in the latest version's training data"
                    + reasons(cl.dropped()), "NoNewData");
        }
        if (cl.kept() == 0) {
            throw fail("no usable images: all " + cl.seen() + " were dropped" + reasons(cl.dropped()), "NoData");
        }

        checkpointBetweenStages("caption");
        stage = "caption";
        CaptionActivities.Request captionRequest = new CaptionActivities.Request(prefix, cl.samplesKey(), in.captioner(), in.defaultPrompt(),
                in.captionsFile(), in.captionModel(), in.captionBeams(), in.modelConfig(), in.baseModel());
        CaptionActivities.Result cap = stageChild(StageWorkflows.CaptionWorkflow.class, "caption").run(captionRequest);
        completed.add("caption: " + cap.captioned() + " captions " + cap.bySource()
                + (cap.truncated() > 0 ? ", " + cap.truncated() + " truncated to the text encoder" : ""));

        checkpointBetweenStages("condition");
        stage = "condition";
        ConditionActivities.Request conditionRequest = new ConditionActivities.Request(prefix, cap.samplesKey(), in.condition(), in.seed(),
                in.annotatorModel());
        ConditionActivities.Result cond = stageChild(StageWorkflows.ConditionWorkflow.class, "condition").run(conditionRequest);
        completed.add("condition: " + cond.conditioned() + " " + in.condition() + " maps"
                + " (" + cond.fromShards() + " made in the clean shards), dataset shards written");

        EvaluateActivities.Request evaluation = evaluationOf(prefix, in, cond.samplesKey(), cl.reportKey());
        TrainingWorkflow.Result trained = trainInChild(new TrainingWorkflow.Input(Workflow.getInfo().getWorkflowId(),
                trainRequest(prefix, cond.samplesKey(), in), evalEvery, evaluation, paused));
        TrainActivities.Result tr = trained.training();
        List<String> duringTraining = trained.duringTrainingKeys();
        trainingDone = true;
        completed.add(String.format("train: %d steps, final loss %.4f, %d checkpoints, %s", tr.steps(), tr.finalLoss(),
                tr.checkpointKeys().size(), tr.convergedStep() == null ? "no sudden convergence detected" : "converged at step " + tr.convergedStep()));

        checkpointBetweenStages("evaluate");
        stage = "evaluate";
        EvaluateActivities.Request finalEvaluation = evaluation.of(tr, null, duringTraining);
        EvaluateActivities.Result ev = stageChild(StageWorkflows.EvaluationWorkflow.class, "evaluate").run(finalEvaluation);
        completed.add(String.format("evaluate: %d samples, edge F1 %.3f (no control %.3f)", ev.samples(), ev.edgeF1(), ev.edgeF1NoControl()));

        checkpointBetweenStages("publish");
        stage = "publish";
        Map<String, String> card = new LinkedHashMap<>();
        card.put("name", in.name());
        card.put("version", version);
        card.put("workflowId", info.getWorkflowId());
        card.put("runId", info.getRunId());
        card.put("modelConfig", in.modelConfig());
        card.put("condition", in.condition());
        card.put("captioner", in.captioner());
        card.put("resolution", String.valueOf(in.resolution()));
        card.put("trainSteps", String.valueOf(tr.steps()));
        card.put("trainingMode", in.trainingMode() + switch (in.trainingMode()) {
            case "small" -> " (skips reconnected " + (in.reconnectSkipsAt() >= 0 ? "at step " + in.reconnectSkipsAt() : "when sudden convergence was detected") + ")";
            case "large" -> " (base UNet unlocked at step " + in.unlockBaseAt() + ", learning rate " + in.baseLearningRate() + ")";
            default -> "";
        });
        card.put("batchSize", String.valueOf(in.batchSize()));
        card.put("learningRate", String.valueOf(in.learningRate()));
        card.put("seed", String.valueOf(in.seed()));
        card.put("baseModel", in.baseModel());
        card.put("baseModelSha256", tr.baseSha256());
        card.put("finalLoss", String.valueOf(tr.finalLoss()));
        card.put("convergedStep", tr.convergedStep() == null ? "not detected" : String.valueOf(tr.convergedStep()));
        card.put("skippedSteps", String.valueOf(tr.skippedSteps()));
        card.put("edgeF1", String.valueOf(ev.edgeF1()));
        card.put("imagesSeen", String.valueOf(cl.seen()));
        card.put("imagesKept", String.valueOf(cl.kept()));
        card.put("edgeF1NoControl", String.valueOf(ev.edgeF1NoControl()));
        card.put("onlyNewData", String.valueOf(in.onlyNewData()));
        card.put("continuedFromLatest", String.valueOf(in.continueFromLatest()));
        PublishActivities.Request publication = new PublishActivities.Request(in.name(), version, tr.weightsKey(),
                tr.configKey(), ev.reportKey(), ev.evalMetricsKey(), card, in.promotionTolerance(), cond.samplesKey(),
                tr.baseUnetKey());
        PublishActivities.Result pub = stageChild(StageWorkflows.PublishWorkflow.class, "publish").run(publication);
        modelUri = pub.modelUri();
        reportUri = pub.reportUri();
        completed.add("publish: " + pub.modelUri() + (pub.promoted() ? " (latest)" : " (candidate: " + pub.decision() + ")"));
        stage = "done";
        return new PipelineResult(version, pub.modelUri(), pub.manifestUri(), pub.reportUri(), cl.seen(), cl.kept(),
                tr.steps(), tr.finalLoss(), ev.edgeF1(), pub.promoted(), pub.decision());
    }

    /**
     * Discovery writes shards of image references; each shard is fetched and then cleaned by its own
     * activities (any worker on the CPU queue), at most {@code parallelShards} shards in flight. A shard
     * that fails is retried alone; finished shards keep their stored results. Duplicates across shards
     * are removed at the end.
     */
    private CleanActivities.Result ingestAndClean(String prefix, PipelineInput in) {
        stage = "ingest";
        IngestActivities.Discovery found = ingest.discover(new IngestActivities.DiscoverRequest(prefix, in.sources(), in.maxImages(),
                in.maxDepth(), in.shardSize(), in.followOtherHosts()));
        int discoveryDrops = DatasetWorkflow.Progress.count(found.dropped());
        dataset = new PipelineStatus.DatasetProgress(found.shardCount(), 0, 0, found.refs(), discoveryDrops, 0, 0, discoveryDrops, 0);
        if (found.refs() == 0) {
            String pages = found.pageFailures().isEmpty() ? "the pages had no <img> tags and the lists no URLs"
                    : "pages failed" + reasons(found.pageFailures());
            throw fail("no images found at the sources: " + pages + "; details in " + found.pageFailuresKey(), "NoData");
        }
        String skipTrainedBy = in.onlyNewData() ? in.name() : null;
        DatasetWorkflow.CleanSettings settings = new DatasetWorkflow.CleanSettings(in.minSide(), in.resolution(), in.maxAspectRatio(),
                in.maxPixels(), skipTrainedBy, in.condition(), in.seed(), in.annotatorModel());
        shardsInChildWorkflow(prefix, in, found, settings);
        ingestDone(found);
        checkpointBetweenStages("clean");
        stage = "clean";
        // the shards' results are where their activities stored them: no per-shard list travels through histories
        CleanActivities.Result cl = clean.dedupe(new CleanActivities.DedupeRequest(prefix, List.of(found.dropsKey()), found.refs(),
                in.nearDuplicateDistance(), found.shardCount()));
        completed.add("clean: kept " + cl.kept() + " of " + cl.seen() + reasons(cl.dropped()));
        return cl;
    }

    /** The evaluation this run asks for, less what a trained checkpoint fills in ({@link EvaluateActivities.Request#of}). */
    private static EvaluateActivities.Request evaluationOf(String prefix, PipelineInput in, String samplesKey, String cleanReportKey) {
        return new EvaluateActivities.Request(prefix, in.name(), samplesKey, null, null, cleanReportKey,
                in.modelConfig(), in.baseModel(), in.evalSamples(), in.evalSteps(), in.guidanceScale(), in.controlScale(),
                in.defaultPrompt(), in.userPrompt(), in.seed(), null, in.condition(), in.annotatorModel(), null, null, List.of(),
                in.precision());
    }

    /** A single-activity stage's child workflow (see {@link #stageChildOptions}). */
    private static <T> T stageChild(Class<T> type, String stageName) {
        return Workflow.newChildWorkflowStub(type, stageChildOptions(stageName).build());
    }

    /** A stage's child workflow is {@code <run id>/<stage>}; its workflow tasks run on the CPU queue like its parent's. */
    private static ChildWorkflowOptions.Builder stageChildOptions(String stageName) {
        return ChildWorkflowOptions.newBuilder()
                .setWorkflowId(StageWorkflows.childId(Workflow.getInfo().getWorkflowId(), stageName))
                .setTaskQueue(TaskQueues.CPU);
    }

    /**
     * Training in a {@link TrainingWorkflow} child. This run stays the operators' point of control: pause, resume and
     * validated updates are passed on as signals; cancel cancels the child, whose training writes a checkpoint first.
     * The child's reports keep the status query's stage and training progress current.
     */
    private TrainingWorkflow.Result trainInChild(TrainingWorkflow.Input input) {
        checkpointBetweenStages("train");
        stage = "train";
        TrainingWorkflow child = Workflow.newChildWorkflowStub(TrainingWorkflow.class, stageChildOptions("train")
                .setCancellationType(ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED)
                .build());
        List<Promise<TrainingWorkflow.Result>> started = new ArrayList<>(1);
        CancellationScope scope = Workflow.newCancellationScope(() -> started.add(Async.function(child::run, input)));
        scope.run();
        Promise<TrainingWorkflow.Result> result = started.get(0);
        Workflow.getWorkflowExecution(child).get(); // started: signals can reach it
        boolean forwardedPause = input.paused();
        int forwardedChanges = trainingChanges;
        while (true) {
            boolean pauseNow = forwardedPause;
            int changesNow = forwardedChanges;
            Workflow.await(() -> result.isCompleted() || paused != pauseNow || trainingChanges != changesNow || cancelReason != null);
            if (result.isCompleted()) {
                break;
            }
            if (cancelReason != null) {
                scope.cancel();
                break;
            }
            try {
                if (paused != forwardedPause) {
                    forwardedPause = paused;
                    if (paused) {
                        child.pause();
                    } else {
                        child.resume();
                    }
                }
                if (trainingChanges != forwardedChanges) {
                    forwardedChanges = trainingChanges;
                    child.change(new TrainingControl(trainSteps, probeEvery, evalEvery));
                }
            } catch (SignalExternalWorkflowException e) {
                // the child finished meanwhile: its result is on the way, nothing is left to pause or change
            }
        }
        return resultOrCancelled(result, "the end of training");
    }

    /** A child's result; if the operator cancelled, the run's cancellation instead of the child's failure. */
    private <T> T resultOrCancelled(Promise<T> child, String where) {
        try {
            return child.get();
        } catch (ChildWorkflowFailure | CanceledFailure e) {
            if (cancelReason != null) {
                throw cancelled(where);
            }
            throw e;
        }
    }

    @Override
    public void trainingReport(TrainingWorkflow.Report report) {
        if (report == null) {
            return;
        }
        trainingProgress(report.progress());
        if (report.stage() != null) {
            stage = report.stage();
        }
        if (report.finished() != null) {
            completed.add(report.finished());
        }
    }

    private void ingestDone(IngestActivities.Discovery found) {
        PipelineStatus.DatasetProgress d = dataset;
        completed.add("ingest: " + d.shards() + " shards, fetched " + d.fetched() + " of " + d.refs() + " (" + d.bytes() + " bytes)"
                + reasons(found.dropped()));
    }

    /**
     * The shards in a {@link DatasetWorkflow} child, which continues as new every {@code shardsPerRun} shards;
     * its datasetProgress signals keep the status query's counts current. Pause and resume are passed on (shards
     * in flight finish, no new one starts); cancel cancels the child, whose finished shards stay stored.
     */
    private void shardsInChildWorkflow(String prefix, PipelineInput in, IngestActivities.Discovery found,
                                                                     DatasetWorkflow.CleanSettings c) {
        checkpointBetweenStages("ingest shards");
        WorkflowInfo info = Workflow.getInfo();
        DatasetWorkflow child = Workflow.newChildWorkflowStub(DatasetWorkflow.class, stageChildOptions("dataset")
                .setCancellationType(ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED)
                .build());
        DatasetWorkflow.Input input = new DatasetWorkflow.Input(prefix, info.getWorkflowId(), found.shardCount(), 0, in.parallelShards(),
                in.shardsPerRun(), c, paused);
        List<Promise<DatasetWorkflow.Result>> result = new ArrayList<>();
        CancellationScope scope = Workflow.newCancellationScope(() -> result.add(Async.function(child::run, input)));
        scope.run();
        Workflow.getWorkflowExecution(child).get(); // started: signals can reach it
        boolean[] childPaused = {paused};
        while (!result.get(0).isCompleted()) {
            boolean forwarded = childPaused[0];
            Workflow.await(() -> result.get(0).isCompleted() || paused != forwarded || cancelReason != null);
            if (result.get(0).isCompleted()) {
                break;
            }
            if (cancelReason != null) {
                scope.cancel();
                break;
            }
            if (paused) {
                child.pause();
                stage = "paused (ingest: shards in flight finish, no new one starts)";
            } else {
                child.resume();
                stage = "ingest";
            }
            childPaused[0] = paused;
        }
        resultOrCancelled(result.get(0), "the end of ingestion");
    }

    @Override
    public void datasetProgress(DatasetWorkflow.Progress p) {
        PipelineStatus.DatasetProgress d = dataset;
        if (p == null || d == null) {
            return;
        }
        dataset = new PipelineStatus.DatasetProgress(d.shards(), d.shardsFetched() + p.shards(), d.shardsCleaned() + p.shards(), d.refs(),
                d.seen() + p.seen(), d.fetched() + p.fetched(), d.candidates() + p.candidates(), d.dropped() + p.dropped(), d.bytes() + p.bytes());
    }

    private ApplicationFailure fail(String message, String type) {
        error = message;
        stage = "failed";
        return ApplicationFailure.newNonRetryableFailure(message, type);
    }

    private static String reasons(Map<String, Integer> dropped) {
        if (dropped.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder(" (dropped:");
        new TreeMap<>(dropped).forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        return sb.append(')').toString();
    }

    @Override
    public PipelineStatus status() {
        return new PipelineStatus(Workflow.getInfo().getWorkflowId(), version, stage, List.copyOf(completed), reportUri, modelUri, error,
                paused, cancelReason, trainingProgress, trainSteps, probeEvery, dataset, evalEvery);
    }
}
