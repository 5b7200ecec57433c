package dev.cnf.workflows.pipeline;

import java.util.Locale;

/** Where a pipeline run is, in the order a run passes through; the last three are final. */
public enum Stage {
    STARTING, VALIDATE, INGEST, CLEAN, CAPTION, CONDITION, TRAIN, EVALUATE, PUBLISH, DONE, FAILED, CANCELLED;

    /** Lower case, as the status and the finished-work lines name it. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean finished() {
        return this == DONE || this == FAILED || this == CANCELLED;
    }
}
