package dev.meridian.lb.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One sequence per host source and per stripe. A thread always takes the values of one stripe,
 * chosen by a hash of its thread id, so threads picking at once write counters on different cache
 * lines instead of bouncing one line between cores; each stripe's counters sit together (a thread
 * touches only its own) and stripes are a cache line apart.
 *
 * <p>Each stripe of a sequence starts at a different value and advances by one per value taken, so
 * every stripe on its own is a complete rotation (or low-discrepancy walk) with exact long-run
 * shares, and the union of the stripes has exact long-run shares too; what is lost is a single
 * global order: picks are smooth per thread, not across threads.
 *
 * <p>A value is taken with an opaque read and an opaque write of the counter, not an atomic
 * read-modify-write: a stripe is meant to have one thread, and a locked increment costs more than
 * the rest of a pick. Opaque access keeps every take a real read and write of the counter (the
 * compiler may neither cache the counter in a register across picks nor drop a write), and one
 * thread's takes are exactly sequential. Two threads that hash to the same stripe and take from
 * the same sequence at once may both read one value: both get the same host, and the counter
 * advances once for the two. A thread suspended between its read and its write may also write back
 * a value that the other thread has since passed, so the stripe repeats the hosts that other thread
 * took meanwhile. Either way the stripe only goes back over part of its own rotation or walk; it
 * never skips a host, so long-run shares stay those of the rotation or walk up to the repeated
 * picks, which need two threads on one stripe picking at the same instant.
 *
 * <p>Thread-safe in that sense (no value is ever torn or invented) and allocation-free after
 * construction.
 */
final class Sequences {
    /** Longs per 64-byte cache line. */
    static final int LINE = 8;
    /** log2 of the stripe count: four stripes per processor, rounded up to a power of two, 1 to 64. */
    static final int STRIPE_BITS = stripeBits(Runtime.getRuntime().availableProcessors());
    /** Spreads the stripes' starting values: 2^64 / golden ratio. */
    private static final long STRIPE_OFFSET = 0x9E3779B97F4A7C15L;

    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);

    /** The counters, stripe after stripe; written only through {@link #VALUES} after construction. */
    final long[] values;
    /**
     * log2 of the longs per stripe: the counters rounded up to whole lines, plus one line of
     * padding, rounded up to a power of two so that a stripe's offset is a shift.
     */
    final int widthShift;

    /**
     * @param count number of sequences
     * @param start the first value of stripe 0 of every sequence; Envoy starts round robin at a
     *     random index
     */
    Sequences(int count, long start) {
        int width = Integer.highestOneBit(((count + LINE - 1) / LINE * LINE + LINE) * 2 - 1);
        widthShift = Integer.numberOfTrailingZeros(width);
        int stripes = 1 << STRIPE_BITS;
        values = new long[LINE + stripes * width];
        for (int k = 0; k < stripes; k++) {
            long first = start + k * STRIPE_OFFSET;
            for (int i = 0; i < count; i++) {
                values[index(k, i)] = first;
            }
        }
    }

    static int stripeBits(int processors) {
        int stripes = Math.min(64, Math.max(2, 4 * processors));
        return 32 - Integer.numberOfLeadingZeros(stripes - 1);
    }

    /** The current thread's stripe. */
    static int stripe() {
        // Fibonacci hashing: consecutive thread ids land on stripes far apart.
        long id = Thread.currentThread().getId();
        return (int) ((id * 0x9E3779B97F4A7C15L) >>> (64 - STRIPE_BITS));
    }

    /** Index in {@link #values} of a stripe's counter of a sequence. */
    int index(int stripe, int slot) {
        return LINE + (stripe << widthShift) + slot;
    }

    /** The value the current thread's next {@link #next} of a sequence will take; for tests. */
    long peek(int slot) {
        return (long) VALUES.getOpaque(values, index(stripe(), slot));
    }

    /** Takes the next value of a sequence from the current thread's stripe; see {@link #take}. */
    long next(int slot) {
        return take(values, index(stripe(), slot));
    }

    /**
     * Takes the next value of the counter at {@code index} of {@code values} (a {@link Sequences}'
     * {@link #values}): an opaque read and an opaque write of the read value plus one, lossy when
     * two threads share the stripe (see the class comment).
     */
    static long take(long[] values, int index) {
        long value = (long) VALUES.getOpaque(values, index);
        VALUES.setOpaque(values, index, value + 1);
        return value;
    }
}
