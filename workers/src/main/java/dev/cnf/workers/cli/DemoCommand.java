package dev.cnf.workers.cli;

import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workers.embedded.EmbeddedStack;
import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.pipeline.PipelineInput;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * Everything on this machine, on CPU: Temporal (a real server with its Web UI where Go could build it), S3Proxy, the
 * local gallery, one worker; then one run. With the real server the run outlives the process: the same command, run
 * again after an interruption, attaches to the unfinished run, whose training resumes from its last checkpoint.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline on the embedded default (Temporal server and Web UI, S3Proxy, local gallery, tiny model);"
                + " run it again after an interruption to continue the unfinished run.")
public final class DemoCommand implements Callable<Integer> {
    /** Under the data folder: the id of the run the demo started last, for the next demo to continue. */
    static final String RUN_FILE = "demo-workflow-id";

    @Option(names = "--data-dir", defaultValue = ".cnf", description = "where the embedded S3 and Temporal keep their files (default ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--bucket", defaultValue = "cnf", description = "bucket (default ${DEFAULT-VALUE})")
    String bucket;

    @Option(names = "--gallery-images", defaultValue = "48", description = "good images the local gallery serves (default ${DEFAULT-VALUE})")
    int galleryImages;

    @Option(names = "--allow-host", description = "host:port that ingestion may fetch although it resolves to a private or loopback"
            + " address, e.g. your own local gallery (repeatable; the demo's gallery is always allowed)")
    java.util.List<String> allowHosts = new java.util.ArrayList<>();

    @Option(names = "--keep-running", description = "keep the stack up after the run, until Ctrl-C: start more runs from the Web UI"
            + " or with `cnf run`, read the results with `cnf models` or any S3 client (the addresses and credentials are printed)")
    boolean keepRunning;

    @Option(names = "--no-run", description = "start no run (with --keep-running: just the stack)")
    boolean noRun;

    @Mixin
    InputOptions inputOptions;

    @Override
    public Integer call() throws Exception {
        if (galleryImages < 2 || galleryImages > 10_000) {
            throw new IllegalArgumentException("--gallery-images must be in [2, 10000], got " + galleryImages);
        }
        for (String h : allowHosts) {
            if (!h.matches("[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}")) {
                throw new IllegalArgumentException("--allow-host '" + h + "' must be host:port, e.g. 127.0.0.1:8000");
            }
        }
        if (noRun && !keepRunning) {
            throw new IllegalArgumentException("--no-run starts only the stack: add --keep-running, or leave --no-run out");
        }
        PipelineInput input = inputOptions.resolve();
        long t0 = System.nanoTime();
        System.out.println("cnf demo: starting Temporal, S3Proxy (" + dataDir.resolve("s3").toAbsolutePath() + "), local gallery and worker");
        try (EmbeddedStack stack = EmbeddedStack.start(dataDir, bucket, galleryImages, 128, allowHosts)) {
            System.out.println("  temporal " + stack.temporal.target() + (stack.temporal.uiUrl() == null ? "" : "   web UI " + stack.temporal.uiUrl())
                    + "   s3 " + stack.s3.endpoint() + "   gallery " + stack.gallery.url());
            System.out.println("  temporal is " + stack.temporal.description());
            int code = noRun ? 0 : run(stack, input);
            if (!noRun) {
                System.out.printf("cnf demo: finished in %.0f s%n", (System.nanoTime() - t0) / 1e9);
            }
            if (keepRunning) {
                printAccess(stack);
                CountDownLatch stopped = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        stack.close(); // Ctrl-C: the server closes its database, S3Proxy its files
                    } catch (Exception e) {
                        System.err.println("cnf demo: stopping the stack: " + e.getMessage());
                    }
                    stopped.countDown();
                }, "cnf-demo-stop"));
                stopped.await();
            } else if (!noRun) {
                System.out.println("  the stack stops now; `./cnf demo --no-run --keep-running` keeps it up to read the results through S3,"
                        + " or read them offline: ./cnf models ls --data-dir " + dataDir);
            }
            return code;
        }
    }

    /** The run: the one an earlier demo on this data folder left unfinished, else a new one. */
    private int run(EmbeddedStack stack, PipelineInput input) throws Exception {
        String unfinished = stack.temporal.durable() ? unfinishedRun(stack.client, dataDir.resolve(RUN_FILE)) : null;
        String id;
        if (unfinished != null) {
            id = unfinished;
            System.out.println("  workflow " + id + ": continuing the run an earlier demo left unfinished (its input stands;"
                    + " training resumes from its last checkpoint once the interrupted attempt times out, within two minutes)");
        } else {
            id = RunCommand.newWorkflowId(input.name());
            RunCommand.start(stack.client, input, id, TaskQueues.CPU);
            Files.writeString(dataDir.resolve(RUN_FILE), id, StandardCharsets.UTF_8);
            System.out.println("  workflow " + id + (stack.temporal.uiUrl() == null ? "" : "   " + stack.temporal.uiUrl()
                    + "/namespaces/default/workflows/" + id));
        }
        return RunCommand.printResult(stack.client, id, false);
    }

    /** Every address and credential of the running stack, with commands to use them. */
    private void printAccess(EmbeddedStack stack) {
        String t = stack.temporal.target();
        String s3 = stack.s3.endpoint();
        String keys = "--s3-access-key " + EmbeddedS3.ACCESS_KEY + " --s3-secret-key " + EmbeddedS3.SECRET_KEY;
        System.out.println("cnf demo: the stack is up until Ctrl-C");
        System.out.println("  Temporal  " + t + (stack.temporal.uiUrl() == null ? "" : "   Web UI " + stack.temporal.uiUrl()
                + "  (Start Workflow: type PipelineWorkflow, or StudyWorkflow for a study, task queue " + TaskQueues.CPU + ", input {})"));
        System.out.println("  S3        " + s3 + "   bucket " + bucket + "   access key " + EmbeddedS3.ACCESS_KEY + "   secret key " + EmbeddedS3.SECRET_KEY);
        System.out.println("  gallery   " + stack.gallery.url() + " (the workers' default source)");
        System.out.println("  a run:    ./cnf run --temporal " + t + " --wait --set trainSteps=200");
        System.out.println("  models:   ./cnf models ls --s3 " + s3 + " " + keys + " --bucket " + bucket);
        System.out.println("  aws cli:  AWS_ACCESS_KEY_ID=" + EmbeddedS3.ACCESS_KEY + " AWS_SECRET_ACCESS_KEY=" + EmbeddedS3.SECRET_KEY
                + " aws --endpoint-url " + s3 + " s3 ls s3://" + bucket + "/models/");
    }

    /**
     * The run whose id {@code file} holds (the one an earlier command on this data folder started), if the server still
     * has it running; else null.
     */
    static String unfinishedRun(WorkflowClient client, Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        String id = Files.readString(file, StandardCharsets.UTF_8).strip();
        try {
            WorkflowExecutionStatus status = client.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
                    DescribeWorkflowExecutionRequest.newBuilder().setNamespace(client.getOptions().getNamespace())
                            .setExecution(io.temporal.api.common.v1.WorkflowExecution.newBuilder().setWorkflowId(id)).build())
                    .getWorkflowExecutionInfo().getStatus();
            return status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING ? id : null;
        } catch (io.grpc.StatusRuntimeException notFound) {
            return null; // another server's run (e.g. the test server's, gone with its process)
        }
    }
}
