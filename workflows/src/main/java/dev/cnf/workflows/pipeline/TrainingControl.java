package dev.cnf.workflows.pipeline;

/**
 * The training settings an operator may change while a run is going (the {@code updateTraining}
 * update): the number of training steps, the steps between convergence probes and the steps between
 * evaluations during training (0: none). A null field leaves that setting as it is; the update answers with the settings now in force.
 */
public record TrainingControl(Integer trainSteps, Integer probeEvery, Integer evalEvery) {}
