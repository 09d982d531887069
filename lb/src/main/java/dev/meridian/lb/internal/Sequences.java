package dev.meridian.lb.internal;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One atomic sequence per host source, each on its own cache line so that threads rotating through
 * different sources do not slow each other down. Thread-safe and allocation-free after construction.
 */
final class Sequences {
    /** Longs per 64-byte cache line. */
    private static final int STRIDE = 8;
    private final AtomicLongArray values;

    /**
     * @param count number of sequences
     * @param start the first value of every sequence; Envoy starts round robin at a random index
     */
    Sequences(int count, long start) {
        values = new AtomicLongArray((count + 1) * STRIDE);
        for (int i = 0; i < count; i++) {
            values.set((i + 1) * STRIDE, start);
        }
    }

    /** The value the next {@link #next} of a sequence will take; for tests. */
    long peek(int slot) {
        return values.get((slot + 1) * STRIDE);
    }

    /** Takes the next value of a sequence. */
    long next(int slot) {
        return values.getAndIncrement((slot + 1) * STRIDE);
    }
}
