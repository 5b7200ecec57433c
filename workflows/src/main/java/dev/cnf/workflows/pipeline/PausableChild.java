package dev.cnf.workflows.pipeline;

import io.temporal.workflow.SignalMethod;

/**
 * A child workflow to which the pipeline passes its operators' pause and resume (see {@link RunControl#supervise}).
 * What a pause holds differs by child: the dataset child starts no new shard (shards in flight finish); the training
 * child checkpoints the running training and waits (an evaluation under way finishes first).
 */
public interface PausableChild {
    @SignalMethod
    void pause();

    @SignalMethod
    void resume();
}
