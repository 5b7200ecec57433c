package dev.cnf.workers.bench;

import dev.cnf.datasets.GalleryServer;
import dev.cnf.workers.cli.CnfCli;
import dev.cnf.workers.Inputs;
import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workers.embedded.EmbeddedTemporal;
import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.pipeline.PipelineStatus;
import dev.cnf.workflows.pipeline.PipelineWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Horizontal scaling of the data stages: the same crawl (ingest + clean, conditions extracted in the
 * shards) with 1 and then 2 worker processes on the cnf-cpu queue, each pinned to its own core with
 * {@code taskset}, as separate machines would be. Temporal (test server), S3Proxy and the gallery run
 * in this JVM. Each worker count first crawls a smaller gallery of other images (unmeasured) so that the
 * long-lived workers and this JVM are warm, as in service. Prints one JSON line: images/s per worker count, the ratio, each
 * worker's peak RSS and CPU seconds, and the CPU seconds of this JVM's infrastructure.
 * Not a unit test; {@code bench/run.sh} runs it.
 *
 * <p>Usage: {@code IngestScalingBench <images> <image size> <resolution> <work dir>}
 */
public final class IngestScalingBench {
    public static void main(String[] args) throws Exception {
        int images = Integer.parseInt(args[0]);
        int size = Integer.parseInt(args[1]);
        int resolution = Integer.parseInt(args[2]);
        Path dir = Path.of(args[3]);
        Files.createDirectories(dir);
        int cores = Runtime.getRuntime().availableProcessors();
        StringBuilder json = new StringBuilder("{\"images\": " + images + ", \"image_size\": " + size + ", \"resolution\": " + resolution
                + ", \"cores\": " + cores + ", \"runs\": [");
        double[] rate = new double[3];
        try (EmbeddedTemporal temporal = EmbeddedTemporal.startTestServer("the test's Temporal");
             EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"));
             GalleryServer gallery = GalleryServer.start(images, size, 5);
             GalleryServer warmUpGallery = GalleryServer.start(Math.max(16, images / 4), size, 99)) {
            WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(
                    WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
            WorkflowClient client = WorkflowClient.newInstance(service);
            for (int workers = 1; workers <= 2; workers++) {
                List<Process> procs = new ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    procs.add(startWorker(w % cores, List.of("worker", "--queues", TaskQueues.CPU, "--temporal", temporal.target(),
                            "--s3", s3.endpoint(), "--s3-access-key", EmbeddedS3.ACCESS_KEY, "--s3-secret-key", EmbeddedS3.SECRET_KEY,
                            "--bucket", "scale-" + workers, "--http-port", "-1", "--allow-host", gallery.hostPort(),
                            "--allow-host", warmUpGallery.hostPort(), "--cpu-concurrency", "4", "--per-host-concurrency", "8"),
                            dir.resolve("worker-" + workers + "-" + w + ".log")));
                }
                Thread.sleep(8000); // JVM start, native libraries, first poll
                // Workers are long-lived services: a crawl of other images first warms their JIT (and this JVM's), unmeasured.
                crawl(client, "scale-" + workers + "-warm-up", warmUpGallery.url(), images, resolution);
                long[] workerCpuBefore = procs.stream().mapToLong(p -> cpuMillis(p.pid())).toArray();
                long hostCpuBefore = hostCpuMillis();
                long start = System.nanoTime();
                int seen = crawl(client, "scale-" + workers, gallery.url(), images, resolution);
                double seconds = (System.nanoTime() - start) / 1e9;
                double hostCpu = (hostCpuMillis() - hostCpuBefore) / 1000.0;
                StringBuilder workerCpu = new StringBuilder();
                for (int w = 0; w < procs.size(); w++) {
                    workerCpu.append(w == 0 ? "" : ", ").append(String.format("%.1f", (cpuMillis(procs.get(w).pid()) - workerCpuBefore[w]) / 1000.0));
                }
                rate[workers] = seen / seconds;
                StringBuilder rss = new StringBuilder();
                for (Process p : procs) {
                    rss.append(rss.length() == 0 ? "" : ", ").append(peakRssMiB(p.pid()));
                    p.destroy();
                    p.waitFor();
                }
                json.append(workers == 1 ? "" : ", ").append(String.format(
                        "{\"workers\": %d, \"images_seen\": %d, \"seconds\": %.2f, \"images_per_second\": %.2f, \"peak_rss_mib\": [%s], "
                                + "\"worker_cpu_seconds\": [%s], \"infrastructure_cpu_seconds\": %.1f}",
                        workers, seen, seconds, rate[workers], rss, workerCpu, hostCpu));
            }
            service.shutdown();
        }
        json.append(String.format("], \"speedup\": %.3f}", rate[2] / rate[1]));
        System.out.println(json);
        System.exit(0);
    }

    /** Runs the pipeline on {@code url} until its clean stage has reported, then terminates it; returns the images seen. */
    static int crawl(WorkflowClient client, String id, String url, int images, int resolution) throws InterruptedException {
        PipelineInput input = Inputs.of("name", "scale", "sources", List.of(url), "maxImages", images + 100,
                "resolution", resolution, "shardSize", 16, "parallelShards", 8, "nearDuplicateDistance", -1);
        PipelineWorkflow wf = client.newWorkflowStub(PipelineWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.CPU).setWorkflowId(id).build());
        WorkflowClient.start(wf::run, input);
        PipelineStatus st;
        while (true) { // the run then waits for a GPU worker: none here
            st = wf.status();
            if (st.completed().stream().anyMatch(l -> l.startsWith("clean:")) || st.error() != null) {
                break;
            }
            Thread.sleep(50);
        }
        client.newUntypedWorkflowStub(id).terminate("benchmark done");
        if (st.error() != null) {
            throw new IllegalStateException(id + " failed: " + st.error());
        }
        return st.dataset().seen();
    }

    /** User + system CPU time of a process, from /proc/PID/stat (clock ticks of 10 ms). */
    static long cpuMillis(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10; // fields 14 and 15 of stat(5)
        } catch (Exception e) {
            return 0;
        }
    }

    /** CPU time of this JVM: the in-process Temporal server, S3Proxy and gallery. */
    static long hostCpuMillis() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1_000_000;
    }

    /** VmHWM: the process's peak resident set, MiB. */
    static long peakRssMiB(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }

    static Process startWorker(int cpu, List<String> args, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("taskset", "-c", String.valueOf(cpu),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dai.djl.offline=true", "-Djava.awt.headless=true",
                "-Xmx2g", "-XX:ActiveProcessorCount=1"));
        String jfr = System.getProperty("cnf.bench.jfr", ""); // a folder: each worker records a profile there (JDK Flight Recorder)
        if (!jfr.isBlank()) {
            cmd.add("-XX:StartFlightRecording=settings=profile,filename=" + Path.of(jfr, log.getFileName().toString().replace(".log", ".jfr")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CnfCli.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
