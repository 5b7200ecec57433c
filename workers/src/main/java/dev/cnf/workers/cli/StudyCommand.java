package dev.cnf.workers.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.validate.ValidateActivitiesImpl;
import dev.cnf.workers.embedded.EmbeddedStack;
import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.pipeline.StudyInput;
import dev.cnf.workflows.pipeline.StudyWorkflow;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Starts a {@link StudyWorkflow}: on a cluster (as `cnf run`) or, with --embedded, on this machine (as `cnf demo`). */
@Command(name = "study", mixinStandardHelpOptions = true,
        description = "Run a study: variants x seeds of one pipeline input, each arm a pipeline run on one shared dataset,"
                + " and one comparison report (HTML + JSON). The default ({}) is the paper's ablations on the default input.",
        footer = {"", "Study input (JSON): {\"base\": {pipeline input}, \"variants\": [{\"name\": \"gaussian-joins\", \"set\": {\"zeroConvInit\": \"gaussian\"},"
                + " \"seeds\": [1, 2]}], \"seeds\": [1, 2, 3], \"parallelArms\": 2}. Each arm is <base name>-<variant>-s<seed>.",
                "Example: cnf study --embedded --wait --out study/ --set trainSteps=300 --input @study.json"})
public final class StudyCommand implements Callable<Integer> {
    @Mixin
    Connection connection;

    @Mixin
    Storage storage;

    @Option(names = "--input", description = "study input as JSON, or @path to a JSON file (default {}: the paper's ablations)")
    String input;

    @Option(names = "--set", description = "set one field of the base pipeline input, flat or nested: --set trainSteps=300 (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--embedded", description = "run on the embedded stack in --data-dir (Temporal, S3Proxy, local gallery, one worker),"
            + " as `cnf demo` does; implies --wait. Run it again after an interruption to continue the unfinished study")
    boolean embedded;

    @Option(names = "--data-dir", defaultValue = ".cnf", description = "with --embedded: where the stack keeps its files (default ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--task-queue", defaultValue = "${env:CNF_TASK_QUEUE:-" + TaskQueues.CPU + "}",
            description = "CPU task queue (env CNF_TASK_QUEUE; default ${DEFAULT-VALUE})")
    String taskQueue;

    @Option(names = "--workflow-id", description = "workflow id (default cnf-study-<UTC time>-<random>)")
    String workflowId;

    @Option(names = "--wait", description = "follow the arms and wait for the report")
    boolean wait;

    @Option(names = "--out", description = "with --wait: also write report.html and report.json to this folder (needs --s3 unless --embedded)")
    Path out;

    static final ObjectMapper JSON = InputOptions.JSON;
    /** Under the data folder: the id of the study an embedded `cnf study` started last, for the next one to continue. */
    static final String RUN_FILE = "study-workflow-id";

    /** The study input, validated as the workflow will validate it, plus the base's model limits; every problem at once. */
    StudyInput resolve() {
        ObjectNode node = InputOptions.readObject(input);
        if (!sets.isEmpty()) {
            InputOptions base = new InputOptions();
            base.input = node.has("base") ? node.get("base").toString() : "{}";
            base.sets = sets;
            node.set("base", JSON.valueToTree(base.json()));
        }
        @SuppressWarnings("unchecked")
        StudyInput study = StudyInput.fromJson(JSON.convertValue(node, Map.class));
        List<String> problems = new ArrayList<>(study.problems());
        if (study.baseInput().problems().isEmpty()) { // the model library's own limits, on a base that is otherwise sound
            problems.addAll(ValidateActivitiesImpl.modelProblems(study.baseInput()).stream().map(p -> "base: " + p).toList());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid study:\n  " + String.join("\n  ", problems));
        }
        return study;
    }

    @Override
    public Integer call() throws Exception {
        List<String> problems = new ArrayList<>(TaskQueues.runQueueProblems(taskQueue).stream().map(p -> "--task-queue: " + p).toList());
        if (out != null && !(wait || embedded)) {
            problems.add("--out writes the report once the study ends: add --wait");
        }
        if (out != null && !embedded && (storage.endpoint == null || storage.endpoint.isBlank())) {
            problems.add("--out reads the report from object storage: give --s3 (and its keys), or use --embedded");
        }
        StudyInput study = null;
        try {
            study = resolve();
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!embedded) {
            try {
                connection.validate();
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems)); // before any work: nothing started
        }
        String id = workflowId != null ? workflowId : RunCommand.newWorkflowId("study");
        if (embedded) {
            try (EmbeddedStack stack = EmbeddedStack.start(dataDir, storage.bucket, 48, 128, List.of())) {
                System.out.println("cnf study: embedded stack up: temporal " + stack.temporal.target()
                        + (stack.temporal.uiUrl() == null ? "" : "   web UI " + stack.temporal.uiUrl()));
                // as the demo: with the durable server, a study an interrupted command left running is continued
                String unfinished = stack.temporal.durable() ? DemoCommand.unfinishedRun(stack.client, dataDir.resolve(RUN_FILE)) : null;
                if (unfinished != null) {
                    id = unfinished;
                    System.out.println("  study " + id + ": continuing the study an earlier command left unfinished (its input stands;"
                            + " finished arms keep their results, a running arm's training resumes from its last checkpoint)");
                } else {
                    start(stack.client, study, id, taskQueue);
                    Files.writeString(dataDir.resolve(RUN_FILE), id, java.nio.charset.StandardCharsets.UTF_8);
                }
                return follow(stack.client, id, stack.store);
            }
        }
        WorkflowServiceStubs service = connection.connect();
        try {
            WorkflowClient client = connection.client(service);
            start(client, study, id, taskQueue);
            if (!wait) {
                System.out.println("started " + id);
                return 0;
            }
            return follow(client, id, out == null ? null : new ObjectStore(storage.config()));
        } finally {
            service.shutdownNow();
        }
    }

    static void start(WorkflowClient client, StudyInput study, String id, String taskQueue) {
        StudyWorkflow wf = client.newWorkflowStub(StudyWorkflow.class, WorkflowOptions.newBuilder().setTaskQueue(taskQueue).setWorkflowId(id)
                .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY).build());
        WorkflowClient.start(wf::run, study);
        System.err.println("started study " + id + ": " + study.arms(null).size() + " arms");
    }

    /** Prints each arm as it changes state, then the report's location; writes the report to --out. */
    private int follow(WorkflowClient client, String id, ObjectStore store) throws Exception {
        WorkflowStub stub = client.newUntypedWorkflowStub(id);
        CompletableFuture<StudyWorkflow.Result> result = stub.getResultAsync(StudyWorkflow.Result.class);
        StudyWorkflow query = client.newWorkflowStub(StudyWorkflow.class, id);
        Map<String, String> shown = new LinkedHashMap<>();
        String stage = "";
        while (true) {
            try {
                StudyWorkflow.Result r = result.get(10, TimeUnit.SECONDS);
                System.out.printf("study %s: %d arms, %d failed%nreport: %s%njson:   %s%n", id, r.arms().size(), r.failed(), r.reportUri(), r.reportJsonUri());
                if (out != null) {
                    Files.createDirectories(out);
                    for (String uri : List.of(r.reportUri(), r.reportJsonUri())) {
                        String key = store.keyOf(uri);
                        Files.write(out.resolve(key.substring(key.lastIndexOf('/') + 1)), store.get(key));
                    }
                    System.out.println("written to " + out.toAbsolutePath());
                }
                return r.failed() == 0 ? 0 : CnfCli.EXIT_WORKFLOW_FAILED;
            } catch (java.util.concurrent.TimeoutException stillRunning) {
                StudyWorkflow.Status s = query.status();
                if (!s.stage().equals(stage)) {
                    stage = s.stage();
                    System.out.println("stage: " + stage);
                }
                for (StudyWorkflow.ArmStatus a : s.arms()) {
                    String line = a.state() + (a.edgeF1() == null ? "" : String.format(", edge F1 %.3f", a.edgeF1()))
                            + (a.error() == null ? "" : ": " + a.error());
                    if (!line.equals(shown.put(a.key(), line))) {
                        System.out.println("  " + a.key() + ": " + line);
                    }
                }
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof WorkflowFailedException failed)) {
                    throw e;
                }
                System.err.println("cnf: study " + id + " failed: " + RunCommand.failureReason(failed));
                return CnfCli.EXIT_WORKFLOW_FAILED;
            }
        }
    }
}
