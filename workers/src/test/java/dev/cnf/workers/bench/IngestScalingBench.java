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
import java.util.Map;
import java.util.stream.LongStream;

/**
 * The data stages per core and across workers: the same crawl (ingest + clean, Canny conditions extracted in the
 * shards) of 512 px JPEG views of the shipped photos, spread over {@code HOSTS} gallery hosts, with 1 and then 2 worker
 * processes on the cnf-cpu queue, each pinned to its own core with {@code taskset}, as separate machines would be.
 * Temporal (test server), S3Proxy and the galleries run in this JVM; their CPU is reported apart from the workers'.
 * Each worker count first crawls other images ({@code -Dcnf.bench.warm-up-images}, on as many hosts; unmeasured) so
 * that the long-lived workers and this JVM are warm, as in service: a worker's JIT compiles for its first several
 * thousand images (about 20 CPU-seconds in all, measured), then next to nothing. Then, when {@code -Dcnf.bench.img2dataset=PYTHON} names the peer's virtualenv,
 * img2dataset crawls the same URLs on one core (bench/peers/img2dataset_peer.py). Prints one JSON line.
 * Not a unit test; {@code bench/run.sh} runs it. Set {@code -Dcnf.bench.jfr=DIR} for a JFR
 * profile of each worker, or {@code -Dcnf.bench.async-profiler=/path/libasyncProfiler.so} for async-profiler's CPU samples.
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
        int warmUpImages = Integer.getInteger("cnf.bench.warm-up-images", Math.max(16, images / 4));
        StringBuilder json = new StringBuilder("{\"measured_at\": \"" + java.time.LocalDate.now(java.time.ZoneOffset.UTC) + "\", \"images\": " + images + ", \"image_size\": " + size + ", \"resolution\": " + resolution
                + ", \"hosts\": " + HOSTS + ", \"cores\": " + cores + ", \"runs\": [");
        double[] rate = new double[3];
        try (EmbeddedTemporal temporal = EmbeddedTemporal.startTestServer("the test's Temporal");
             EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"));
             Galleries galleries = Galleries.start(images, size, 5);
             Galleries warmUpGalleries = Galleries.start(warmUpImages, size, 99)) {
            WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(
                    WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
            WorkflowClient client = WorkflowClient.newInstance(service);
            for (int workers = 1; workers <= Integer.getInteger("cnf.bench.max-workers", 2); workers++) {
                List<Process> procs = new ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    List<String> workerArgs = new ArrayList<>(List.of("worker", "--queues", TaskQueues.CPU, "--temporal", temporal.target(),
                            "--s3", s3.endpoint(), "--s3-access-key", EmbeddedS3.ACCESS_KEY, "--s3-secret-key", EmbeddedS3.SECRET_KEY,
                            "--bucket", "scale-" + workers, "--http-port", "-1",
                            "--cpu-concurrency", "4", "--per-host-concurrency", "8"));
                    for (GalleryServer g : java.util.stream.Stream.concat(galleries.servers().stream(), warmUpGalleries.servers().stream()).toList()) {
                        workerArgs.addAll(List.of("--allow-host", g.hostPort()));
                    }
                    procs.add(startWorker(w % cores, workerArgs, dir.resolve("worker-" + workers + "-" + w + ".log")));
                }
                Thread.sleep(8000); // JVM start, native libraries, first poll
                // Workers are long-lived services: a crawl of other images first warms their JIT (and this JVM's), unmeasured;
                // its JIT and total CPU are reported beside the measured crawl's.
                crawl(client, "scale-" + workers + "-warm-up", warmUpGalleries.urls(), warmUpImages, resolution);
                long[] workerCpuBefore = procs.stream().mapToLong(p -> cpuMillis(p.pid())).toArray();
                List<Map<String, Long>> kindsBefore = procs.stream().map(p -> cpuMillisByKind(p.pid())).toList();
                // the one-off cost the warm-up took out of the measurement: worker start plus the warm-up crawl
                String warmUp = String.format("{\"images\": %d, \"worker_cpu_seconds\": %.2f, \"jit_seconds\": %.2f}", warmUpImages,
                        LongStream.of(workerCpuBefore).sum() / 1000.0, kindsBefore.stream().mapToLong(k -> k.get("jit")).sum() / 1000.0);
                profile(procs, "start,event=cpu,interval=1ms,cstack=vm,threads");
                long hostCpuBefore = hostCpuMillis();
                long start = System.nanoTime();
                int seen = crawl(client, "scale-" + workers, galleries.urls(), images, resolution);
                double seconds = (System.nanoTime() - start) / 1e9;
                double hostCpu = (hostCpuMillis() - hostCpuBefore) / 1000.0;
                for (int w = 0; w < procs.size(); w++) {
                    profile(List.of(procs.get(w)), "stop,collapsed,file=" + dir.resolve("worker-" + workers + "-" + w + ".collapsed"));
                }
                StringBuilder workerCpu = new StringBuilder();
                double workerCpuTotal = 0;
                for (int w = 0; w < procs.size(); w++) {
                    double cpu = (cpuMillis(procs.get(w).pid()) - workerCpuBefore[w]) / 1000.0;
                    workerCpuTotal += cpu;
                    workerCpu.append(w == 0 ? "" : ", ").append(String.format("%.2f", cpu));
                }
                rate[workers] = seen / seconds;
                Map<String, Long> byKind = new java.util.TreeMap<>();
                for (int w = 0; w < procs.size(); w++) {
                    Map<String, Long> before = kindsBefore.get(w);
                    cpuMillisByKind(procs.get(w).pid()).forEach((k, ms) -> byKind.merge(k, ms - before.getOrDefault(k, 0L), Long::sum));
                }
                // the rest is the work: activity, HTTP, S3 and Temporal client threads, also those that ended during the crawl
                byKind.put("work", Math.round(workerCpuTotal * 1000) - byKind.get("jit") - byKind.get("gc_vm"));
                StringBuilder kinds = new StringBuilder();
                byKind.forEach((k, ms) -> kinds.append(kinds.length() == 0 ? "" : ", ").append(String.format("\"%s\": %.2f", k, ms / 1000.0)));
                StringBuilder rss = new StringBuilder();
                for (Process p : procs) {
                    rss.append(rss.length() == 0 ? "" : ", ").append(peakRssMiB(p.pid()));
                    p.destroy();
                    p.waitFor();
                }
                json.append(workers == 1 ? "" : ", ").append(String.format(
                        "{\"workers\": %d, \"images_seen\": %d, \"seconds\": %.2f, \"images_per_second\": %.2f, \"peak_rss_mib\": [%s], "
                                + "\"worker_cpu_seconds\": [%s], \"images_per_worker_cpu_second\": %.1f, \"worker_cpu_seconds_by_thread\": {%s}, "
                                + "\"infrastructure_cpu_seconds\": %.2f, \"start_and_warm_up\": %s}",
                        workers, seen, seconds, rate[workers], rss, workerCpu, seen / workerCpuTotal, kinds, hostCpu, warmUp));
            }
            service.shutdown();
            json.append(String.format("], \"speedup\": %.3f", rate[2] > 0 ? rate[2] / rate[1] : Double.NaN));
            String peer = System.getProperty("cnf.bench.img2dataset", "");
            if (!peer.isBlank()) {
                json.append(", \"img2dataset\": ").append(img2dataset(peer, galleries, resolution, dir.resolve("img2dataset")));
            }
        }
        json.append("}");
        System.out.println(json);
        System.exit(0);
    }

    /** Gallery hosts the measured crawl spreads over: a crawl of the web meets many hosts, and politeness is per host. */
    static final int HOSTS = 4;

    /** The measured images, split over {@link #HOSTS} gallery servers (one host:port each). */
    record Galleries(List<GalleryServer> servers) implements AutoCloseable {
        static Galleries start(int images, int size, long seed) throws java.io.IOException {
            List<GalleryServer> servers = new ArrayList<>();
            for (int h = 0; h < HOSTS; h++) {
                servers.add(GalleryServer.photos(images / HOSTS + (h < images % HOSTS ? 1 : 0), size, seed + h));
            }
            return new Galleries(servers);
        }

        List<String> urls() {
            return servers.stream().map(GalleryServer::url).toList();
        }

        /** Every image's URL, as img2dataset's url list. */
        List<String> imageUrls() {
            return servers.stream().flatMap(g -> g.photoUrls().stream()).toList();
        }

        @Override
        public void close() {
            servers.forEach(GalleryServer::close);
        }
    }

    /**
     * img2dataset on the same images, on core 0: its own JSON line, plus the CPU the galleries (this JVM) spent serving it.
     */
    static String img2dataset(String python, Galleries galleries, int resolution, Path dir) throws Exception {
        Files.createDirectories(dir);
        Path urls = dir.resolve("urls.txt");
        Files.write(urls, galleries.imageUrls());
        Path script = Path.of(System.getProperty("cnf.bench.root", ".")).resolve("bench/peers/img2dataset_peer.py");
        long hostBefore = hostCpuMillis();
        Process p = new ProcessBuilder("taskset", "-c", "0", python, script.toString(), urls.toString(), dir.resolve("out").toString(),
                String.valueOf(resolution)).redirectError(dir.resolve("img2dataset.log").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0 || out.isEmpty()) {
            throw new IllegalStateException("img2dataset peer failed (exit " + p.exitValue() + "); see " + dir.resolve("img2dataset.log"));
        }
        String last = out.substring(out.lastIndexOf('\n') + 1);
        return last.substring(0, last.lastIndexOf('}')) + String.format(", \"gallery_cpu_seconds\": %.2f}", (hostCpuMillis() - hostBefore) / 1000.0);
    }

    /** Runs the pipeline on {@code url} until its clean stage has reported, then terminates it; returns the images seen. */
    static int crawl(WorkflowClient client, String id, List<String> urls, int images, int resolution) throws InterruptedException {
        PipelineInput input = Inputs.of("name", "scale", "sources", urls, "maxImages", images + 100,
                "resolution", resolution, "shardSize", Integer.getInteger("cnf.bench.shard-size", 256), "parallelShards", 8);
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

    /** User + system CPU time of a process, from /proc/PID/stat; 0 once it has gone. */
    static long cpuMillis(long pid) {
        try {
            return statCpuMillis(Path.of("/proc/" + pid + "/stat"));
        } catch (java.io.IOException | RuntimeException gone) {
            return 0;
        }
    }

    /** User + system CPU of a process or thread from its stat file (fields 14 and 15 of stat(5), clock ticks of 10 ms). */
    static long statCpuMillis(Path stat) throws java.io.IOException {
        String text = Files.readString(stat);
        String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    }

    /**
     * A process's CPU milliseconds in its JIT compiler threads ("jit") and in its garbage collector and VM thread
     * ("gc_vm"), from /proc/PID/task/TID/{comm,stat}: both kinds live as long as the JVM, so a difference of two
     * readings is what they spent in between; the caller counts the rest of the process's CPU as the work.
     */
    static Map<String, Long> cpuMillisByKind(long pid) {
        Map<String, Long> kinds = new java.util.TreeMap<>(Map.of("jit", 0L, "gc_vm", 0L));
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String comm = Files.readString(task.resolve("comm")).strip();
                    String kind = comm.contains("CompilerThre") ? "jit"
                            : comm.startsWith("GC") || comm.startsWith("G1") || comm.equals("VM Thread") ? "gc_vm" : null;
                    if (kind != null) {
                        kinds.merge(kind, statCpuMillis(task.resolve("stat")), Long::sum);
                    }
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended between the listing and the read
                }
            }
        } catch (java.io.IOException e) {
            return kinds;
        }
        return kinds;
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

    /**
     * With {@code -Dcnf.bench.async-profiler=/path/libasyncProfiler.so} (from the tools.profiler:async-profiler jar):
     * sends a command to async-profiler in each worker, attaching it on first use, so that the profile covers the
     * measured crawl only (CPU samples of Java and native frames, by thread; collapsed stacks).
     */
    static void profile(List<Process> procs, String command) throws Exception {
        String profiler = System.getProperty("cnf.bench.async-profiler", "");
        if (profiler.isBlank()) {
            return;
        }
        for (Process p : procs) {
            com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(String.valueOf(p.pid()));
            try {
                vm.loadAgentPath(profiler, command);
            } finally {
                vm.detach();
            }
        }
    }

    static Process startWorker(int cpu, List<String> args, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("taskset", "-c", String.valueOf(cpu),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dai.djl.offline=true", "-Djava.awt.headless=true",
                "-Xmx2g", "-XX:ActiveProcessorCount=1"));
        String jfr = System.getProperty("cnf.bench.jfr", ""); // a folder: each worker records a profile there (JDK Flight Recorder)
        if (!jfr.isBlank()) {
            cmd.add("-XX:StartFlightRecording=settings=profile,filename=" + Path.of(jfr, log.getFileName().toString().replace(".log", ".jfr")));
        }
        for (String flag : System.getProperty("cnf.bench.worker-jvm-flags", "").split(" ")) { // e.g. GC or JIT settings to compare
            if (!flag.isBlank()) {
                cmd.add(flag);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CnfCli.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
