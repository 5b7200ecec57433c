package dev.cnf.workflows;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TaskQueuesTest {
    @Test
    void aRunQueuePairsWithTheGpuQueueOfItsFamily() {
        assertEquals(TaskQueues.GPU, TaskQueues.gpuQueueFor(TaskQueues.CPU));
        assertEquals("staging-gpu", TaskQueues.gpuQueueFor("staging-cpu"));
        assertEquals("team.a-gpu", TaskQueues.gpuQueueFor("team.a"));
        assertTrue(TaskQueues.isGpu("staging-gpu"));
        assertFalse(TaskQueues.isGpu("staging-cpu"));
    }

    @Test
    void aRunIsNotStartedOnAGpuQueueOrAnUnusableName() {
        assertEquals(java.util.List.of(), TaskQueues.runQueueProblems("staging-cpu"));
        assertTrue(TaskQueues.runQueueProblems("staging-gpu").get(0).contains("runs start on the CPU queue of the family (staging-cpu)"));
        assertTrue(TaskQueues.runQueueProblems("has space").get(0).contains("use letters, digits"));
        assertTrue(TaskQueues.runQueueProblems("").get(0).contains("use letters, digits"));
    }
}
