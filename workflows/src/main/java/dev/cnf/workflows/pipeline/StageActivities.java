package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.stages.CaptionActivities;
import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.ConditionActivities;
import dev.cnf.workflows.stages.EvaluateActivities;
import dev.cnf.workflows.stages.IngestActivities;
import dev.cnf.workflows.stages.PublishActivities;
import dev.cnf.workflows.stages.StudyActivities;
import dev.cnf.workflows.stages.TrainActivities;
import dev.cnf.workflows.stages.ValidateActivities;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;

import java.time.Duration;

/**
 * Every stage's activity stub with its queue, timeouts and retries, in one place: the parent workflow and
 * the stage child workflows schedule the same activities with the same options. Call from workflow code only.
 */
final class StageActivities {
    /** Failure type for input the workflow refuses; never retried. */
    static final String INVALID_INPUT = "InvalidInput";

    static final RetryOptions RETRY = RetryOptions.newBuilder()
            .setInitialInterval(Duration.ofSeconds(1))
            .setMaximumInterval(Duration.ofMinutes(1))
            .setMaximumAttempts(5)
            .setDoNotRetry(INVALID_INPUT)
            .build();

    private StageActivities() {}

    /** The queue of the run: the workflow's own, so a run started on another family stays in it. */
    static String cpuQueue() {
        return Workflow.getInfo().getTaskQueue();
    }

    static String gpuQueue() {
        return TaskQueues.gpuQueueFor(cpuQueue());
    }

    static ValidateActivities validate() {
        return stub(ValidateActivities.class, cpuQueue(), Duration.ofMinutes(10), Duration.ofMinutes(1));
    }

    static IngestActivities ingest() {
        return stub(IngestActivities.class, cpuQueue(), Duration.ofHours(2), Duration.ofMinutes(1));
    }

    static CleanActivities clean() {
        return stub(CleanActivities.class, cpuQueue(), Duration.ofHours(2), Duration.ofMinutes(1));
    }

    static CaptionActivities caption() {
        return stub(CaptionActivities.class, cpuQueue(), Duration.ofHours(2), Duration.ofMinutes(1));
    }

    static ConditionActivities condition() {
        return stub(ConditionActivities.class, cpuQueue(), Duration.ofHours(2), Duration.ofMinutes(1));
    }

    /** A pause or cancel cancels the train activity and waits until it has written its checkpoint. */
    static TrainActivities train() {
        return Workflow.newActivityStub(TrainActivities.class, ActivityOptions.newBuilder()
                .setTaskQueue(gpuQueue())
                .setStartToCloseTimeout(Duration.ofDays(7))
                .setHeartbeatTimeout(Duration.ofMinutes(2))
                .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
                .setRetryOptions(RETRY)
                .build());
    }

    static EvaluateActivities evaluate() {
        return stub(EvaluateActivities.class, gpuQueue(), Duration.ofHours(6), Duration.ofMinutes(2));
    }

    static PublishActivities publish() {
        return stub(PublishActivities.class, cpuQueue(), Duration.ofMinutes(30), Duration.ofMinutes(1));
    }

    static StudyActivities study() {
        return stub(StudyActivities.class, cpuQueue(), Duration.ofMinutes(30), Duration.ofMinutes(1));
    }

    private static <T> T stub(Class<T> type, String queue, Duration startToClose, Duration heartbeat) {
        return Workflow.newActivityStub(type, ActivityOptions.newBuilder()
                .setTaskQueue(queue)
                .setStartToCloseTimeout(startToClose)
                .setHeartbeatTimeout(heartbeat)
                .setRetryOptions(RETRY)
                .build());
    }
}
