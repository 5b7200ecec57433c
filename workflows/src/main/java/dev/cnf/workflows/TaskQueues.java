package dev.cnf.workflows;

/** Task queues: CPU-bound data stages and the accelerator-bound train/evaluate stages are served apart. */
public final class TaskQueues {
    public static final String CPU = "cnf-cpu";
    public static final String GPU = "cnf-gpu";

    private TaskQueues() {}
}
