package dev.cnf.workflows;

import java.util.ArrayList;
import java.util.List;

/**
 * Task queues: CPU-bound data stages and the accelerator-bound train/evaluate stages are served apart. A run lives on a
 * CPU queue (its workflows, the data stages, publish); its train and evaluate activities go to the paired GPU queue,
 * {@code <family>-cpu} to {@code <family>-gpu}. The default family is {@code cnf}; teams or environments sharing a
 * namespace use their own (e.g. {@code staging-cpu} and {@code staging-gpu}).
 */
public final class TaskQueues {
    public static final String CPU = "cnf-cpu";
    public static final String GPU = "cnf-gpu";
    private static final String CPU_SUFFIX = "-cpu";
    private static final String GPU_SUFFIX = "-gpu";

    private TaskQueues() {}

    /** Whether a worker serves this queue's train and evaluate activities (its name ends in {@code -gpu}). */
    public static boolean isGpu(String queue) {
        return queue.endsWith(GPU_SUFFIX);
    }

    /** The GPU queue paired with a run's queue: {@code x-cpu} to {@code x-gpu}, any other name {@code n} to {@code n-gpu}. */
    public static String gpuQueueFor(String runQueue) {
        String family = runQueue.endsWith(CPU_SUFFIX) ? runQueue.substring(0, runQueue.length() - CPU_SUFFIX.length()) : runQueue;
        return family + GPU_SUFFIX;
    }

    /** Problems with a queue a run is started on (empty when fine). */
    public static List<String> runQueueProblems(String queue) {
        List<String> problems = new ArrayList<>();
        if (queue == null || !queue.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,199}")) {
            problems.add("task queue '" + queue + "': use letters, digits, '.', '_' or '-', e.g. " + CPU);
        } else if (isGpu(queue)) {
            problems.add("task queue '" + queue + "' is a GPU queue; runs start on the CPU queue of the family ("
                    + queue.substring(0, queue.length() - GPU_SUFFIX.length()) + CPU_SUFFIX + "), their training goes to " + queue);
        }
        return problems;
    }
}
