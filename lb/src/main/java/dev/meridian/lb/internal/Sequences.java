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
 * <p>Where a stripe starts is decided when a thread first takes from it, in the order stripes
 * start: the first begins at the {@code start} given at construction (drawn from the cluster's
 * random source), the second 2^64 / φ further on, the third as far again, and so on (each kept
 * below 2^62, see below). Envoy seeds each worker's round robin with its own random value
 * ({@code EdfLoadBalancerBase}'s {@code seed_(random_.random())},
 * {@code source/extensions/load_balancing_policies/common/load_balancer_impl.cc}; every host
 * source's index starts there, {@code rr_indexes_.insert({source, seed_})} in
 * {@code round_robin/round_robin_lb.h}), so workers start at spread-out places; stripes do the same
 * for threads that pick at once. A stripe's start depends neither on which stripe a thread's id
 * hashes to nor on how many stripes the processor count makes, so a thread picking alone from a
 * seeded cluster takes the same values on any thread and any machine: the simulator's runs are
 * repeatable. Two threads that start one stripe at the same instant agree on its start (a
 * compare-and-set decides it).
 *
 * <p>A counter holds the next value it gives, or {@link #NOT_STARTED} (negative) until a thread
 * first takes from it, so a take reads nothing it did not read before and tests the sign of what it
 * read; the first take of a counter reads the stripe's start (one long before its counters),
 * starting the stripe if no thread has (an atomic add to a count of started stripes and a
 * compare-and-set of the start). Starts are below 2^62 and a counter goes up by one per take, so a
 * counter turns negative only after at least 2^62 takes, a century at a billion a second (it would
 * then go back to its stripe's start once); dropping the top two bits of a start changes neither its
 * value modulo a power of two nor, by more than n / 2^62, the chance of each value modulo n.
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
    static final long STRIPE_OFFSET = 0x9E3779B97F4A7C15L;
    /** A counter, or a stripe's start, before a thread has taken from it: negative, as no start or value is. */
    static final long NOT_STARTED = Long.MIN_VALUE;
    /** Starts are kept below 2^62: far from {@link #NOT_STARTED} for a counter that counts up. */
    static final long START_MASK = (1L << 62) - 1;
    /** Index in {@link #values}, before stripe 0: how many stripes have started. */
    private static final int STARTED = 0;
    /** Index in {@link #values}, before stripe 0: where the first stripe to start begins. */
    private static final int FIRST_START = 1;

    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);

    /** The counters, stripe after stripe; written only through {@link #VALUES} after construction. */
    final long[] values;
    /**
     * log2 of the longs per stripe: the stripe's start and its counters rounded up to whole lines,
     * plus one line of padding, rounded up to a power of two so that a stripe's offset is a shift.
     */
    final int widthShift;

    /**
     * @param count number of sequences
     * @param start the first value of every sequence in the first stripe to start; Envoy starts
     *     round robin at a random index
     */
    Sequences(int count, long start) {
        int width = Integer.highestOneBit(((count + 1 + LINE - 1) / LINE * LINE + LINE) * 2 - 1);
        widthShift = Integer.numberOfTrailingZeros(width);
        int stripes = 1 << STRIPE_BITS;
        values = new long[LINE + stripes * width];
        java.util.Arrays.fill(values, NOT_STARTED);
        values[STARTED] = 0;
        values[FIRST_START] = start;
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

    /** Index in {@link #values} of a stripe's start; its counters follow it. */
    static int base(int stripe, int widthShift) {
        return LINE + (stripe << widthShift);
    }

    /** Offset from a stripe's {@link #base} of its counter of a sequence. */
    static int offset(int slot) {
        return 1 + slot;
    }

    /**
     * The value the current thread's next {@link #next} of a sequence will take; for tests. Starts
     * the thread's stripe if no thread has taken from it yet, as that take would.
     */
    long peek(int slot) {
        int base = base(stripe(), widthShift);
        long value = (long) VALUES.getOpaque(values, base + offset(slot));
        return value >= 0 ? value : start(values, base);
    }

    /** Takes the next value of a sequence from the current thread's stripe; see {@link #take}. */
    long next(int slot) {
        int base = base(stripe(), widthShift);
        return take(values, base, base + offset(slot));
    }

    /**
     * Takes the next value of the counter at {@code index} of the stripe at {@code base} of
     * {@code values} (a {@link Sequences}' {@link #values}): an opaque read and an opaque write of
     * the read value plus one, lossy when two threads share the stripe (see the class comment). A
     * counter's first take gives its stripe's start.
     */
    static long take(long[] values, int base, int index) {
        long value = (long) VALUES.getOpaque(values, index);
        // Values are never negative (starts are below 2^62): a sign test is the cheapest check.
        if (value < 0) {
            value = start(values, base);
        }
        VALUES.setOpaque(values, index, value + 1);
        return value;
    }

    /** The start of the stripe at {@code base}, starting it when no thread has. */
    private static long start(long[] values, int base) {
        long start = (long) VALUES.getOpaque(values, base);
        return start >= 0 ? start : startStripe(values, base);
    }

    /**
     * Starts a stripe: the n-th stripe to start (from 0) begins n × 2^64 / φ after the first, top
     * two bits cleared. Two threads of one stripe may both get here; the first compare-and-set wins
     * and both use its start (the loser's count is spent, which only spreads later stripes further).
     */
    private static long startStripe(long[] values, int base) {
        long n = (long) VALUES.getAndAdd(values, STARTED, 1L);
        long start = ((long) VALUES.getOpaque(values, FIRST_START) + n * STRIPE_OFFSET) & START_MASK;
        long witness = (long) VALUES.compareAndExchange(values, base, NOT_STARTED, start);
        return witness == NOT_STARTED ? start : witness;
    }
}
