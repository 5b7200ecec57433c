package dev.cnf.workers.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.workflows.pipeline.PipelineWorkflow;
import dev.cnf.workflows.pipeline.TrainingControl;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.serviceclient.WorkflowServiceStubs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** Operator controls of a running pipeline: pause, resume, cancel (signals) and update (a validated workflow update). */
final class ControlCommands {
    private ControlCommands() {}

    static IllegalArgumentException notRunning(String workflowId) {
        return new IllegalArgumentException("no running pipeline with workflow id '" + workflowId
                + "' (it finished, failed or never started; `cnf status " + workflowId + "` tells which)");
    }

    /** Sends one signal to the run's workflow. */
    abstract static class Signal implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", paramLabel = "WORKFLOW_ID")
        String workflowId;

        abstract void send(PipelineWorkflow wf);

        abstract String done();

        @Override
        public Integer call() throws Exception {
            WorkflowServiceStubs service = connection.connect();
            try {
                WorkflowClient client = connection.client(service);
                try {
                    send(client.newWorkflowStub(PipelineWorkflow.class, workflowId));
                } catch (WorkflowNotFoundException e) {
                    throw notRunning(workflowId);
                }
                System.out.println(workflowId + ": " + done());
                return 0;
            } finally {
                service.shutdownNow();
            }
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Pause a run: training writes a checkpoint and waits; other stages finish first.")
    static final class Pause extends Signal {
        @Override
        void send(PipelineWorkflow wf) {
            wf.pause();
        }

        @Override
        String done() {
            return "pause requested (`cnf status` shows when it took effect; `cnf resume` continues)";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused run from its last checkpoint.")
    static final class Resume extends Signal {
        @Override
        void send(PipelineWorkflow wf) {
            wf.resume();
        }

        @Override
        String done() {
            return "resume requested";
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Stop a run gracefully: training checkpoints first; nothing is published.")
    static final class Cancel extends Signal {
        @Option(names = "--reason", defaultValue = "cancelled from the cnf CLI", description = "recorded in the run's failure")
        String reason;

        @Override
        void send(PipelineWorkflow wf) {
            wf.cancel(reason);
        }

        @Override
        String done() {
            return "cancel requested (" + reason + ")";
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
            description = "Change a running run's training steps, probe interval or evaluation interval; training restarts from a fresh checkpoint.")
    static final class Update implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", paramLabel = "WORKFLOW_ID")
        String workflowId;

        @Option(names = "--train-steps", description = "new total of training steps (more than are done already)")
        Integer trainSteps;

        @Option(names = "--probe-every", description = "new number of steps between convergence probes")
        Integer probeEvery;

        @Option(names = "--eval-every", description = "new number of steps between evaluations during training (0: none)")
        Integer evalEvery;

        @Option(names = "--json", description = "print the settings in force as JSON")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (trainSteps == null && probeEvery == null && evalEvery == null) {
                throw new IllegalArgumentException("give --train-steps, --probe-every and/or --eval-every");
            }
            WorkflowServiceStubs service = connection.connect();
            try {
                WorkflowClient client = connection.client(service);
                PipelineWorkflow wf = client.newWorkflowStub(PipelineWorkflow.class, workflowId);
                TrainingControl now;
                try {
                    now = wf.updateTraining(new TrainingControl(trainSteps, probeEvery, evalEvery));
                } catch (WorkflowUpdateException e) {
                    throw new IllegalArgumentException("update refused: " + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()));
                } catch (WorkflowNotFoundException e) {
                    throw notRunning(workflowId);
                }
                System.out.println(json ? new ObjectMapper().writeValueAsString(now)
                        : workflowId + ": trainSteps " + now.trainSteps() + ", probeEvery " + now.probeEvery() + ", evalEvery " + now.evalEvery());
                return 0;
            } finally {
                service.shutdownNow();
            }
        }
    }
}
