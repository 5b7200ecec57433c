package dev.cnf.workflows.pipeline;

/**
 * The training settings an operator may change while a run is going (the {@code updateTraining}
 * update): the number of training steps and the steps between convergence probes. A null field
 * leaves that setting as it is; the update answers with the settings now in force.
 */
public record TrainingControl(Integer trainSteps, Integer probeEvery) {}
