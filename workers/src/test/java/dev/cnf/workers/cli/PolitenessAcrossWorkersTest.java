package dev.cnf.workers.cli;

import com.sun.net.httpserver.HttpServer;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workers.WorkerHost;
import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workers.embedded.EmbeddedTemporal;
import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.pipeline.PipelineResult;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Politeness holds for the run, not per worker: two worker processes fetch two hosts whose robots.txt asks for a
 * 0.3 s Crawl-delay. Each host's server measures the gaps between the requests it sees (one-sided bound: a slow
 * machine only widens them); the two hosts are fetched at the same time, by the two workers.
 */
class PolitenessAcrossWorkersTest {
    static final long CRAWL_DELAY_MS = 300;

    /** A host with an index page of {@code count} distinct images; it logs when each image request arrived. */
    static final class Host implements AutoCloseable {
        final HttpServer server;
        final List<Long> imageStarts = Collections.synchronizedList(new ArrayList<>());

        Host(int count, int hue) throws Exception {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            StringBuilder index = new StringBuilder("<html><body>\n");
            for (int i = 0; i < count; i++) {
                index.append("<img src=\"/img/").append(i).append(".png\" alt=\"circle ").append(i).append("\">\n");
            }
            byte[] page = index.append("</body></html>\n").toString().getBytes(StandardCharsets.UTF_8);
            server.createContext("/", ex -> {
                String path = ex.getRequestURI().getPath();
                byte[] body;
                String type = "image/png";
                if (path.equals("/robots.txt")) {
                    body = ("User-agent: *\nCrawl-delay: " + CRAWL_DELAY_MS / 1000.0 + "\n").getBytes(StandardCharsets.UTF_8);
                    type = "text/plain";
                } else if (path.equals("/index.html")) {
                    body = page;
                    type = "text/html";
                } else {
                    imageStarts.add(System.nanoTime());
                    body = image(Integer.parseInt(path.replaceAll("\\D", "")), hue);
                }
                ex.getResponseHeaders().add("Content-Type", type);
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            });
            server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
            server.start();
        }

        String hostPort() {
            return "127.0.0.1:" + server.getAddress().getPort();
        }

        /** The smallest gap between two image requests this host saw, in ms. */
        long smallestGapMs() {
            List<Long> starts = new ArrayList<>(imageStarts);
            Collections.sort(starts);
            long smallest = Long.MAX_VALUE;
            for (int i = 1; i < starts.size(); i++) {
                smallest = Math.min(smallest, (starts.get(i) - starts.get(i - 1)) / 1_000_000);
            }
            return smallest;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    static byte[] image(int i, int hue) {
        BufferedImage img = new BufferedImage(96, 96, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.getHSBColor(hue / 360f, 0.3f, 0.9f));
        g.fillRect(0, 0, 96, 96);
        g.setColor(Color.getHSBColor((hue + 7 * i) / 360f, 0.8f, 0.4f));
        g.fillOval(10 + i % 30, 12 + (i * 7) % 30, 40 + i % 17, 40 + (i * 3) % 19);
        g.dispose();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    @Tag("e2e")
    @Tag("slow")
    void perHostLimitsHoldAcrossTwoWorkerProcesses(@TempDir Path dir) throws Exception {
        try (EmbeddedTemporal temporal = EmbeddedTemporal.startTestServer("the test's Temporal");
             EmbeddedS3 s3 = EmbeddedS3.start(dir);
             Host a = new Host(12, 20);
             Host b = new Host(12, 200)) {
            ObjectStore store = new ObjectStore(s3.config("polite"));
            store.ensureBucket();
            Path logs = Path.of("target", "politeness-test");
            Files.createDirectories(logs);
            // Two worker processes fetch, one activity at a time each; this JVM runs the workflows and the GPU stages.
            List<Process> workers = new ArrayList<>();
            for (int w = 1; w <= 2; w++) {
                workers.add(WorkerKillTest.startWorker(List.of("worker", "--queues", TaskQueues.CPU, "--cpu-concurrency", "1",
                        "--temporal", temporal.target(), "--s3", s3.endpoint(), "--s3-access-key", EmbeddedS3.ACCESS_KEY,
                        "--s3-secret-key", EmbeddedS3.SECRET_KEY, "--bucket", "polite", "--http-port", "-1",
                        "--allow-host", a.hostPort(), "--allow-host", b.hostPort()), logs.resolve("worker-" + w + ".log")));
            }
            WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(
                    WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
            WorkflowClient client = WorkflowClient.newInstance(service);
            try (WorkerHost gpu = new WorkerHost(client, store, new WorkerHost.Settings(Set.of(TaskQueues.GPU), List.of(), Set.of(), 1, 1))) {
                gpu.start();
                PipelineInput input = dev.cnf.workers.Inputs.of("name", "polite", "sources",
                        List.of("http://" + a.hostPort() + "/index.html", "http://" + b.hostPort() + "/index.html"),
                        "shardSize", 3, "parallelShards", 2, "trainSteps", 2, "batchSize", 2, "evalSamples", 1, "evalSteps", 2,
                        "probeEvery", 2, "baseModel", "random");
                WorkflowClient.start(WorkerKillTest.stub(client, "polite")::run, input);
                PipelineResult r = client.newUntypedWorkflowStub("polite").getResult(8, TimeUnit.MINUTES, PipelineResult.class);
                assertEquals(24, r.imagesSeen(), "both hosts' images were fetched");

                for (Host h : List.of(a, b)) {
                    assertEquals(12, h.imageStarts.size(), "every image requested once");
                    assertTrue(h.smallestGapMs() >= CRAWL_DELAY_MS - 50, h.hostPort() + ": requests " + h.smallestGapMs()
                            + " ms apart; its robots.txt asks for " + CRAWL_DELAY_MS + " across all workers");
                }
                // the two hosts were fetched at the same time (lanes keep many-host throughput), on two workers
                long aFirst = Collections.min(a.imageStarts), aLast = Collections.max(a.imageStarts);
                long bFirst = Collections.min(b.imageStarts), bLast = Collections.max(b.imageStarts);
                assertTrue(Math.min(aLast, bLast) > Math.max(aFirst, bFirst), "the two hosts' lanes ran side by side");
                assertEquals(2, fetchWorkers(client).size(), "both worker processes fetched shards");
            } finally {
                workers.forEach(Process::destroyForcibly);
                service.shutdownNow();
            }
        }
    }

    /** The identities of the workers that ran the run's fetch activities (from the shard workflows' histories). */
    @SuppressWarnings("InfiniteLoopStatement")
    static Set<String> fetchWorkers(WorkflowClient client) {
        Set<String> identities = new HashSet<>();
        for (int shard = 0; ; shard++) {
            List<HistoryEvent> events;
            try {
                events = client.fetchHistory(String.format("polite/dataset/shard-%05d", shard)).getEvents();
            } catch (RuntimeException none) {
                return identities;
            }
            Set<Long> fetches = new HashSet<>();
            for (HistoryEvent e : events) {
                if (e.hasActivityTaskScheduledEventAttributes()
                        && e.getActivityTaskScheduledEventAttributes().getActivityType().getName().equals("FetchShard")) {
                    fetches.add(e.getEventId());
                } else if (e.hasActivityTaskStartedEventAttributes() && fetches.contains(e.getActivityTaskStartedEventAttributes().getScheduledEventId())) {
                    identities.add(e.getActivityTaskStartedEventAttributes().getIdentity());
                }
            }
        }
    }
}
