package dev.cnf.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Garbage-collection pressure for the numerics checks (ScalarOpsGuardTest, NonFiniteStressBench). */
public final class GcPressure {
    private GcPressure() {}

    /** Collects garbage, then fills fresh native memory with junk, so freed buffers that are still read show it. */
    public static void collectAndScribble() {
        collectAndScribble(3, 256);
    }

    /** {@code rounds} times: a collection, then {@code buffers} small direct buffers (4 B to 512 B) filled with 0x7f. */
    public static void collectAndScribble(int rounds, int buffers) {
        List<ByteBuffer> junk = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            System.gc();
            for (int i = 0; i < buffers; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(4 << (i % 8));
                byte[] fill = new byte[b.capacity()];
                Arrays.fill(fill, (byte) 0x7f);
                b.put(fill);
                junk.add(b);
            }
        }
        junk.clear();
    }
}
