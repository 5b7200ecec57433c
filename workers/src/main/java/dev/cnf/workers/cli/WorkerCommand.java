package dev.cnf.workers.cli;

import dev.cnf.activities.models.OpenAiConfig;

import dev.cnf.activities.ingest.FetchPolicy;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workers.HealthServer;
import dev.cnf.workers.WorkerMetrics;
import dev.cnf.workers.WorkerHost;
import io.temporal.serviceclient.WorkflowServiceStubs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** A long-running worker against an external Temporal and S3 endpoint. */
@Command(name = "worker", mixinStandardHelpOptions = true, description = "Run a worker for the cnf-cpu and/or cnf-gpu task queues.")
public final class WorkerCommand implements Callable<Integer> {
    @Mixin
    Connection connection;

    @Mixin
    Storage storage;

    @Option(names = "--queues", split = ",", defaultValue = "${env:CNF_QUEUES:-cnf-cpu,cnf-gpu}",
            description = "task queues to poll: names ending in -gpu serve train and evaluate, others the workflows and"
                    + " data stages; a run on x-cpu trains on x-gpu (env CNF_QUEUES; default ${DEFAULT-VALUE})")
    List<String> queues;

    @Option(names = "--default-source", description = "source used when a run's input has no 'sources' (repeatable)")
    List<String> defaultSources = new ArrayList<>();

    @Option(names = "--allow-host", description = "host:port that ingestion may fetch even though it resolves to a private/loopback address (repeatable)")
    List<String> allowHosts = new ArrayList<>();

    @Option(names = "--http-port", defaultValue = "${env:CNF_HTTP_PORT:-9464}",
            description = "port for /healthz, /readyz and /metrics; 0 picks a free one, -1 disables (default ${DEFAULT-VALUE})")
    int httpPort;

    @Option(names = "--cpu-concurrency", defaultValue = "4", description = "concurrent activities on cnf-cpu (default ${DEFAULT-VALUE})")
    int cpuConcurrency;

    @Option(names = "--gpu-concurrency", defaultValue = "1", description = "concurrent activities on cnf-gpu (default ${DEFAULT-VALUE})")
    int gpuConcurrency;

    @Option(names = "--fetch-threads", defaultValue = "16", description = "HTTP requests in flight per worker while fetching a shard (default ${DEFAULT-VALUE})")
    int fetchThreads;

    @Option(names = "--per-host-concurrency", defaultValue = "4", description = "requests in flight to one host:port (default ${DEFAULT-VALUE})")
    int perHostConcurrency;

    @Option(names = "--per-host-interval-ms", defaultValue = "0",
            description = "least time between request starts to one host:port; robots.txt Crawl-delay can raise it (default ${DEFAULT-VALUE})")
    long perHostIntervalMs;

    @Option(names = "--max-download-mb", defaultValue = "20", description = "largest body fetched, MiB (default ${DEFAULT-VALUE})")
    int maxDownloadMb;

    @Option(names = "--timeouts-s", split = ",", defaultValue = "10,20,60",
            description = "connect, read (silence) and total seconds per request (default ${DEFAULT-VALUE})")
    List<Integer> timeouts;

    @Option(names = "--max-redirects", defaultValue = "5", description = "redirect hops followed, each one checked (default ${DEFAULT-VALUE})")
    int maxRedirects;

    @Option(names = "--retries", defaultValue = "2", description = "retries after 429, 5xx, timeouts and network errors (default ${DEFAULT-VALUE})")
    int retries;

    @Option(names = "--opt-out", split = ",", defaultValue = "noai,noimageai,noindex,noimageindex,none",
            description = "X-Robots-Tag / meta robots directives that exclude an image; 'off' honours none (default ${DEFAULT-VALUE})")
    List<String> optOut;

    @Option(names = "--openai-base-url", defaultValue = "${env:CNF_OPENAI_BASE_URL:-}",
            description = "OpenAI-compatible endpoint for the openai captioner, e.g. https://api.openai.com/v1")
    String openAiBaseUrl;

    @Option(names = "--openai-model", defaultValue = "${env:CNF_OPENAI_MODEL:-}", description = "model name for the openai captioner")
    String openAiModel;

    @Option(names = "--ignore-robots-txt", description = "do not read robots.txt (only for sources you own)")
    boolean ignoreRobots;

    /** Counted down by SIGTERM/SIGINT (shutdown hook), or by tests. */
    final CountDownLatch stop = new CountDownLatch(1);

    /** The port /healthz, /readyz and /metrics are served on once started (-1 without them); for tests with --http-port 0. */
    public volatile int boundHttpPort = -1;

    /** The fetch flags as a policy; a bad value fails here, before anything connects. */
    FetchPolicy fetchPolicy() {
        if (timeouts.size() != 3 || timeouts.stream().anyMatch(t -> t < 1)) {
            throw new IllegalArgumentException("--timeouts-s takes three positive seconds: connect,read,total; got " + timeouts);
        }
        if (maxDownloadMb < 1 || perHostIntervalMs < 0 || maxRedirects < 0 || retries < 0) {
            throw new IllegalArgumentException("--max-download-mb must be >= 1; --per-host-interval-ms, --max-redirects and --retries >= 0");
        }
        Set<String> optOuts = optOut.size() == 1 && optOut.get(0).equals("off") ? Set.of()
                : optOut.stream().map(d -> d.strip().toLowerCase(java.util.Locale.ROOT)).collect(java.util.stream.Collectors.toSet());
        return FetchPolicy.defaults()
                .withTimeouts(Duration.ofSeconds(timeouts.get(0)), Duration.ofSeconds(timeouts.get(1)), Duration.ofSeconds(timeouts.get(2)))
                .withMaxBytes((long) maxDownloadMb << 20)
                .withMaxRedirects(maxRedirects)
                .withHostLimits(perHostConcurrency, Duration.ofMillis(perHostIntervalMs))
                .withRetries(retries, FetchPolicy.defaults().backoff(), FetchPolicy.defaults().maxRetryAfter())
                .withRobots(!ignoreRobots, optOuts);
    }

    @Override
    public Integer call() throws Exception {
        if (cpuConcurrency < 1 || gpuConcurrency < 1 || fetchThreads < 1 || perHostConcurrency < 1) {
            throw new IllegalArgumentException("--cpu-concurrency, --gpu-concurrency, --fetch-threads and --per-host-concurrency must be >= 1");
        }
        WorkerHost.Settings settings = new WorkerHost.Settings(new LinkedHashSet<>(queues), defaultSources,
                new LinkedHashSet<>(allowHosts), cpuConcurrency, gpuConcurrency, fetchPolicy(), fetchThreads,
                // the key only from the environment: flags show up in process lists
                new OpenAiConfig(openAiBaseUrl, openAiModel, System.getenv().getOrDefault("CNF_OPENAI_API_KEY", ""),
                        System.getenv().getOrDefault("CNF_OPENAI_INSTRUCTION", OpenAiConfig.DEFAULT_INSTRUCTION)));
        ObjectStore store = new ObjectStore(storage.config());
        connection.validate();
        WorkerMetrics metrics = new WorkerMetrics();
        WorkflowServiceStubs service = connection.connect(metrics.scope());
        java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
        HealthServer health = httpPort < 0 ? null : new HealthServer("0.0.0.0", httpPort, ready::get, metrics::scrape);
        boundHttpPort = health == null ? -1 : health.port();
        WorkerHost host = new WorkerHost(connection.client(service), store, settings);
        host.start();
        ready.set(true);
        System.out.println("worker polling " + settings.queues() + " on " + connection.target + " (namespace " + connection.namespace
                + "), storage " + store.uri("") + " (credentials: " + store.credentialsSource() + ")");
        Thread hook = new Thread(stop::countDown);
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stop.await();
        } finally {
            ready.set(false);
            host.close();
            service.shutdown();
            if (health != null) {
                health.close();
            }
            metrics.close();
        }
        return 0;
    }

}
