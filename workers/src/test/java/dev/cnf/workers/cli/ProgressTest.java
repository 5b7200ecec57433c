package dev.cnf.workers.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ProgressTest {
    @Test
    void etaReadsLikeAClock() {
        assertEquals("42s", Progress.eta(41.6));
        assertEquals("3m 05s", Progress.eta(185));
        assertEquals("1h 02m", Progress.eta(3725));
        assertEquals("0s", Progress.eta(-3));
    }
}
