package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.CaptionActivities;
import dev.cnf.workflows.stages.ConditionActivities;
import dev.cnf.workflows.stages.EvaluateActivities;
import dev.cnf.workflows.stages.PublishActivities;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * The single-activity stages as child workflows of {@link PipelineWorkflow}, each under {@code <run id>/<stage>}: in the
 * Temporal UI every stage has its own execution and history (inputs, attempts, failures), and the parent's history holds
 * one child per stage instead of the stages' activity events. Each runs its stage's activity with the options the
 * parent used before (see {@link StageActivities}). The fan-out and training stages have their own children
 * ({@link DatasetWorkflow}, {@link TrainingWorkflow}).
 */
public final class StageWorkflows {
    private StageWorkflows() {}

    /** Workflow ids of a run's stage children: the parent's id, a slash, the stage. */
    static String childId(String parentWorkflowId, String stage) {
        return parentWorkflowId + "/" + stage;
    }

    @WorkflowInterface
    public interface CaptionWorkflow {
        @WorkflowMethod
        CaptionActivities.Result run(CaptionActivities.Request request);
    }

    @WorkflowInterface
    public interface ConditionWorkflow {
        @WorkflowMethod
        ConditionActivities.Result run(ConditionActivities.Request request);
    }

    @WorkflowInterface
    public interface EvaluationWorkflow {
        @WorkflowMethod
        EvaluateActivities.Result run(EvaluateActivities.Request request);
    }

    @WorkflowInterface
    public interface PublishWorkflow {
        @WorkflowMethod
        PublishActivities.Result run(PublishActivities.Request request);
    }

    public static class CaptionWorkflowImpl implements CaptionWorkflow {
        private final CaptionActivities caption = StageActivities.caption();

        @Override
        public CaptionActivities.Result run(CaptionActivities.Request request) {
            return caption.caption(request);
        }
    }

    public static class ConditionWorkflowImpl implements ConditionWorkflow {
        private final ConditionActivities condition = StageActivities.condition();

        @Override
        public ConditionActivities.Result run(ConditionActivities.Request request) {
            return condition.condition(request);
        }
    }

    public static class EvaluationWorkflowImpl implements EvaluationWorkflow {
        private final EvaluateActivities evaluate = StageActivities.evaluate();

        @Override
        public EvaluateActivities.Result run(EvaluateActivities.Request request) {
            return evaluate.evaluate(request);
        }
    }

    public static class PublishWorkflowImpl implements PublishWorkflow {
        private final PublishActivities publish = StageActivities.publish();

        @Override
        public PublishActivities.Result run(PublishActivities.Request request) {
            return publish.publish(request);
        }
    }

    /** Every workflow implementation of this class, for worker registration. */
    public static final Class<?>[] IMPLEMENTATIONS = {CaptionWorkflowImpl.class, ConditionWorkflowImpl.class,
            EvaluationWorkflowImpl.class, PublishWorkflowImpl.class};
}
