package dev.cnf.workflows.spec;

/**
 * What every activity of one run shares.
 *
 * @param prefix where the run's intermediate objects live ({@code runs/<workflow id>/<run id>}): an activity retried
 *               inside the run rewrites the very same keys
 * @param name   the model's name: published under {@code models/<name>/}, and whose latest version retraining reads
 * @param seed   seeds data order, noise, timesteps, sampling and the conditions' per-image randomness
 */
public record RunContext(String prefix, String name, long seed) {}
