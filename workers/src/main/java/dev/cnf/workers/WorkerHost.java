package dev.cnf.workers;

import dev.cnf.activities.models.OpenAiConfig;

import dev.cnf.activities.caption.CaptionActivitiesImpl;
import dev.cnf.activities.clean.CleanActivitiesImpl;
import dev.cnf.activities.condition.ConditionActivitiesImpl;
import dev.cnf.activities.evaluate.EvaluateActivitiesImpl;
import dev.cnf.activities.ingest.AddressPolicy;
import dev.cnf.activities.ingest.FetchPolicy;
import dev.cnf.activities.ingest.HttpFetcher;
import dev.cnf.activities.ingest.IngestActivitiesImpl;
import dev.cnf.activities.publish.PublishActivitiesImpl;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.study.StudyActivitiesImpl;
import dev.cnf.activities.train.ProgressSink;
import dev.cnf.activities.train.TrainActivitiesImpl;
import dev.cnf.activities.validate.ValidateActivitiesImpl;
import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.pipeline.DatasetWorkflowImpl;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.pipeline.PipelineWorkflowImpl;
import dev.cnf.workflows.pipeline.ShardWorkflowImpl;
import dev.cnf.workflows.pipeline.StageWorkflows;
import dev.cnf.workflows.pipeline.StudyWorkflowImpl;
import dev.cnf.workflows.pipeline.TrainingWorkflowImpl;
import io.temporal.client.WorkflowClient;
import io.temporal.common.converter.DataConverter;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Registers the pipeline workflow and the stage activities on the task queues this process serves: a CPU queue such
 * as {@code cnf-cpu} (workflows + data stages + publish) and/or a GPU queue, any name ending in {@code -gpu} such as
 * {@code cnf-gpu} (train + evaluate). See {@link TaskQueues} for how a run pairs them.
 */
public final class WorkerHost implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WorkerHost.class);
    /**
     * What a worker process needs beyond the Temporal connection.
     *
     * @param fetch        politeness and safety limits of ingestion's HTTP fetches
     * @param fetchThreads requests this worker has in flight while fetching a shard
     * @param openAi       the openai captioner's endpoint (not configured: that captioner is refused at validation)
     */
    public record Settings(Set<String> queues, List<String> defaultSources, Set<String> allowedHosts,
                           int cpuConcurrency, int gpuConcurrency, FetchPolicy fetch, int fetchThreads, OpenAiConfig openAi) {
        public Settings(Set<String> queues, List<String> defaultSources, Set<String> allowedHosts, int cpuConcurrency, int gpuConcurrency) {
            this(queues, defaultSources, allowedHosts, cpuConcurrency, gpuConcurrency, FetchPolicy.defaults(), 16,
                    OpenAiConfig.fromEnvironment());
        }

        public Settings {
            if (fetchThreads < 1) {
                throw new IllegalArgumentException("fetch threads must be >= 1, got " + fetchThreads);
            }
            List<String> problems = new java.util.ArrayList<>();
            for (String q : queues) {
                if (!q.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,199}")) {
                    problems.add("task queue '" + q + "': use letters, digits, '.', '_' or '-', e.g. " + TaskQueues.CPU + "," + TaskQueues.GPU);
                }
            }
            if (queues.isEmpty()) {
                problems.add("no task queue to poll; e.g. " + TaskQueues.CPU + "," + TaskQueues.GPU);
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(String.join("; ", problems));
            }
        }
    }

    private final WorkerFactory factory;

    public WorkerHost(WorkflowClient client, ObjectStore store, Settings settings) {
        store.ensureBucket();
        if (settings.queues().stream().anyMatch(q -> !TaskQueues.isGpu(q))) {
            warmUp(client.getOptions().getDataConverter()); // this worker runs workflows
        }
        factory = WorkerFactory.newInstance(client);
        for (String queue : settings.queues()) {
            if (TaskQueues.isGpu(queue)) {
                register(null, factory.newWorker(queue, options(settings.gpuConcurrency())), store, settings, client);
            } else {
                register(factory.newWorker(queue, options(settings.cpuConcurrency())), null, store, settings, client);
            }
        }
    }

    /**
     * Does before polling what a fresh worker's first workflow task would otherwise do on the workflow thread: the data
     * converter's first use (Jackson learning the input records and its modules loading: 1 to 2 s in a fresh JVM on a
     * 2-core machine) and the workflow classes' loading. Temporal reports a workflow thread that holds on for more than a
     * second as a PotentialDeadlockException, the warning a fresh worker was seen to log at its first run (not
     * reproduced here; this is the one step measured to take that long).
     *
     * @return the input a run started with {@code {}} gets, as the workflow will read it
     */
    static PipelineInput warmUp(DataConverter converter) {
        PipelineInput in = converter.fromPayload(converter.toPayload(Map.of()).orElseThrow(), PipelineInput.class, PipelineInput.class);
        PipelineInput back = converter.fromPayload(converter.toPayload(in).orElseThrow(), PipelineInput.class, PipelineInput.class);
        if (!back.equals(in)) {
            throw new IllegalStateException("the data converter does not round-trip the pipeline input: " + in + " came back as " + back);
        }
        for (Class<?> c : List.of(PipelineWorkflowImpl.class, DatasetWorkflowImpl.class, ShardWorkflowImpl.class, TrainingWorkflowImpl.class,
                StudyWorkflowImpl.class)) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
        return back;
    }

    /** Training progress to the workflow as a signal, so its status query can show step, loss, throughput and ETA. */
    static ProgressSink signalling(WorkflowClient client) {
        return (workflowId, runId, progress) -> {
            try {
                client.newUntypedWorkflowStub(workflowId, Optional.of(runId), Optional.empty()).signal("trainingProgress", progress);
            } catch (RuntimeException e) {
                LOG.warn("could not report training progress to workflow {}: {}", workflowId, e.getMessage());
            }
        };
    }

    /** The one place that decides what runs on which queue; also used by tests on Temporal's test environment. */
    public static void register(Worker cpu, Worker gpu, ObjectStore store, Settings settings, WorkflowClient client) {
        if (cpu != null) {
            cpu.registerWorkflowImplementationTypes(PipelineWorkflowImpl.class, DatasetWorkflowImpl.class, ShardWorkflowImpl.class,
                    TrainingWorkflowImpl.class, StudyWorkflowImpl.class);
            cpu.registerWorkflowImplementationTypes(StageWorkflows.IMPLEMENTATIONS);
            HttpFetcher fetcher = new HttpFetcher(new AddressPolicy(settings.allowedHosts()), settings.fetch());
            cpu.registerActivitiesImplementations(
                    new IngestActivitiesImpl(store, fetcher, settings.defaultSources(), settings.fetchThreads()),
                    new ValidateActivitiesImpl(store, settings.openAi()),
                    new CleanActivitiesImpl(store),
                    new CaptionActivitiesImpl(store, settings.openAi()),
                    new ConditionActivitiesImpl(store),
                    new PublishActivitiesImpl(store),
                    new StudyActivitiesImpl(store));
        }
        if (gpu != null) {
            gpu.registerActivitiesImplementations(new TrainActivitiesImpl(store, signalling(client)), new EvaluateActivitiesImpl(store));
        }
    }

    public static WorkerOptions options(int concurrency) {
        return WorkerOptions.newBuilder()
                .setMaxConcurrentActivityExecutionSize(concurrency)
                // Heartbeats carry live progress (training step, loss) to `cnf status`; the SDK's
                // default throttle would hold them back for up to a minute.
                .setMaxHeartbeatThrottleInterval(Duration.ofSeconds(2))
                .setDefaultHeartbeatThrottleInterval(Duration.ofSeconds(2))
                .build();
    }

    public void start() {
        factory.start();
    }

    @Override
    public void close() {
        factory.shutdown();
        factory.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
    }

}
