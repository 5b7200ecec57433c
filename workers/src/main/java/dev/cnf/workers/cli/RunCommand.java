package dev.cnf.workers.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.pipeline.PipelineResult;
import dev.cnf.workflows.pipeline.PipelineWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;

/** Starts the pipeline on a running Temporal cluster (workers must be running there). */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Start a pipeline run on an external Temporal cluster.")
public final class RunCommand implements Callable<Integer> {
    @Mixin
    Connection connection;

    @Mixin
    InputOptions inputOptions;

    @Option(names = "--task-queue", defaultValue = "${env:CNF_TASK_QUEUE:-" + TaskQueues.CPU + "}",
            description = "CPU task queue of the run, served by workers with --queues; training goes to its GPU pair"
                    + " (x-cpu to x-gpu) (env CNF_TASK_QUEUE; default ${DEFAULT-VALUE})")
    String taskQueue;

    @Option(names = "--workflow-id", description = "workflow id (default cnf-<name>-<UTC time>-<random>)")
    String workflowId;

    @Option(names = "--wait", description = "follow progress and wait for the result")
    boolean wait;

    @Option(names = "--json", description = "print machine-readable JSON")
    boolean json;

    @Option(names = "--result-file", description = "with --wait: also write the run's result as JSON to this file"
            + " (e.g. /airflow/xcom/return.json, the XCom of Airflow's KubernetesPodOperator)")
    Path resultFile;

    static String newWorkflowId(String name) {
        return "cnf-" + name + "-" + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    /**
     * Starts the run; a workflow id may be reused only after a failed run, so a re-triggered
     * scheduler job (same id) never trains the same data twice.
     * @return false when a run with this id already exists (running or succeeded)
     */
    static boolean start(WorkflowClient client, PipelineInput input, String workflowId, String taskQueue) {
        PipelineWorkflow wf = client.newWorkflowStub(PipelineWorkflow.class, WorkflowOptions.newBuilder()
                .setTaskQueue(taskQueue).setWorkflowId(workflowId)
                .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY)
                .build());
        try {
            WorkflowClient.start(wf::run, input);
            return true;
        } catch (WorkflowExecutionAlreadyStarted e) {
            return false;
        }
    }

    @Override
    public Integer call() throws Exception {
        PipelineInput input = checkAll(inputOptions, connection, taskQueue); // before connecting: bad input starts nothing
        WorkflowServiceStubs service = connection.connect();
        try {
            WorkflowClient client = connection.client(service);
            String id = workflowId != null ? workflowId : newWorkflowId(input.name());
            boolean started = start(client, input, id, taskQueue);
            if (!started && !wait) {
                System.err.println("cnf: workflow " + id + " already exists (running or succeeded); nothing started. Use --wait to attach to it.");
                return CnfCli.EXIT_USAGE;
            }
            if (!wait) {
                System.out.println(json ? new ObjectMapper().createObjectNode().put("workflowId", id).toString() : "started " + id);
                return 0;
            }
            System.err.println((started ? "started " : "attached to existing ") + id);
            int code = printResult(client, id, json);
            if (code == 0 && resultFile != null) {
                writeResult(client, id, resultFile);
            }
            return code;
        } finally {
            service.shutdownNow();
        }
    }

    /** The input, once the input, the connection flags and the task queue are all fine; else every problem at once. */
    static PipelineInput checkAll(InputOptions inputOptions, Connection connection, String taskQueue) {
        List<String> problems = new ArrayList<>(TaskQueues.runQueueProblems(taskQueue).stream().map(p -> "--task-queue: " + p).toList());
        PipelineInput input = null;
        try {
            input = inputOptions.resolve();
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        try {
            connection.validate();
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return input;
    }

    /** The finished run's result as JSON, for the next step of a pipeline (an Airflow task, a script). */
    static void writeResult(WorkflowClient client, String id, Path file) throws java.io.IOException {
        PipelineResult r = client.newUntypedWorkflowStub(id).getResult(PipelineResult.class);
        if (file.getParent() != null) {
            java.nio.file.Files.createDirectories(file.getParent());
        }
        java.nio.file.Files.writeString(file, new ObjectMapper().writeValueAsString(r));
    }

    static int printResult(WorkflowClient client, String id, boolean json) throws Exception {
        try {
            PipelineResult r = Progress.follow(client, id, json ? System.err : System.out);
            if (json) {
                System.out.println(new ObjectMapper().writeValueAsString(r));
            } else {
                System.out.println("model:  " + r.modelUri());
                System.out.println("report: " + r.reportUri());
                System.out.printf("version %s: %d/%d images kept, %d steps, final loss %.4f, edge F1 %.3f%n",
                        r.version(), r.imagesKept(), r.imagesSeen(), r.trainSteps(), r.finalLoss(), r.edgeF1());
            }
            return 0;
        } catch (WorkflowFailedException e) {
            System.err.println("cnf: workflow " + id + " failed: " + failureReason(e));
            return CnfCli.EXIT_WORKFLOW_FAILED;
        }
    }

    /** Why a workflow failed, for people: its root cause's own message. */
    static String failureReason(WorkflowFailedException e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause instanceof ApplicationFailure af ? af.getOriginalMessage() : cause.getMessage();
    }
}
