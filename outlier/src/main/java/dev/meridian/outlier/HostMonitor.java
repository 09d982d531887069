package dev.meridian.outlier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One host's outlier-detection state, as Envoy's {@code DetectorHostMonitorImpl}: the counters that
 * request threads add to, and the ejection state that only the detector's owner writes. A monitor
 * belongs to one address for as long as that address stays in the endpoint set, across every
 * update, so an outcome recorded while the set is being replaced lands on the same counters the
 * next table reads: nothing is copied and nothing recorded is lost.
 *
 * <p>Thread-safe in two halves. The recording counters are atomics written by any thread through
 * {@link OutcomeRecorder}; the ejection state is written by one thread, the detector's owner, and
 * its published parts ({@link #isEjected()}, {@link #ejectedUntilNanos()},
 * {@link #ejectionCount()}) are volatile so other threads read the latest values. Opaque outside
 * this package: callers hold it only to hand it back.
 */
public final class HostMonitor {

    private static final VarHandle CONSECUTIVE_5XX;
    private static final VarHandle CONSECUTIVE_GATEWAY;
    private static final VarHandle CONSECUTIVE_LOCAL;
    private static final VarHandle EXTERNAL_BUCKET;
    private static final VarHandle LOCAL_BUCKET;
    private static final VarHandle PENDING;

    static {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        try {
            CONSECUTIVE_5XX = lookup.findVarHandle(HostMonitor.class, "consecutive5xx", int.class);
            CONSECUTIVE_GATEWAY = lookup.findVarHandle(HostMonitor.class, "consecutiveGateway", int.class);
            CONSECUTIVE_LOCAL = lookup.findVarHandle(HostMonitor.class, "consecutiveLocal", int.class);
            EXTERNAL_BUCKET = lookup.findVarHandle(HostMonitor.class, "externalBucket", long.class);
            LOCAL_BUCKET = lookup.findVarHandle(HostMonitor.class, "localBucket", long.class);
            PENDING = lookup.findVarHandle(HostMonitor.class, "pending", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Added to a bucket for a failed request: one more request, no more successes. */
    static final long ONE_FAILURE = 1L << 32;
    /** Added to a bucket for a successful request. */
    static final long ONE_SUCCESS = ONE_FAILURE | 1L;

    // Padding keeps two hosts' counters, written by different request threads, off one cache line.
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;

    // ---- written by request threads (atomics)
    @SuppressWarnings("unused") private int consecutive5xx;
    @SuppressWarnings("unused") private int consecutiveGateway;
    @SuppressWarnings("unused") private int consecutiveLocal;
    /** Results of the current interval: requests in the high 32 bits, successes in the low 32 bits. */
    @SuppressWarnings("unused") private long externalBucket;
    /** As {@link #externalBucket}, for local-origin results with split errors. */
    @SuppressWarnings("unused") private long localBucket;
    /** One bit per {@link EjectionType} whose run completed and awaits the detector. */
    @SuppressWarnings("unused") private int pending;

    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;

    // ---- written only by the detector's owner
    private volatile boolean ejected;
    private volatile long ejectedUntil;
    private volatile int ejectionCount;
    /** The host's position in the detector's current table, -1 once it has left it. */
    int index = -1;
    long ejectedAt;
    long ejectionNanos;
    /** Envoy's {@code eject_time_backoff}: the multiplier of the base ejection time. */
    int backoff;
    long returnedAt;
    boolean hasReturned;
    long lastExternal;
    long lastLocal;

    /** A monitor in service with no history, for a host new to the endpoint set. */
    public HostMonitor() {
    }

    // ---------------------------------------------------------------- published state

    /** True while the host is ejected. */
    public boolean isEjected() {
        return ejected;
    }

    /** When an ejected host may return (it returns at the first sweep at or after it); meaningless in service. */
    public long ejectedUntilNanos() {
        return ejectedUntil;
    }

    /** How many times the host has been ejected so far (Envoy's {@code num_ejections}). */
    public int ejectionCount() {
        return ejectionCount;
    }

    /** Whether a completed run awaits the detector. */
    public boolean hasPendingRun() {
        return (int) PENDING.getVolatile(this) != 0;
    }

    // ---------------------------------------------------------------- owner-side writes

    void markEjected(long at, long duration) {
        ejectedAt = at;
        ejectionNanos = duration;
        ejectedUntil = at + duration;
        ejectionCount = ejectionCount + 1;
        ejected = true;
    }

    void markReturned(long at) {
        ejected = false;
        returnedAt = at;
        hasReturned = true;
    }

    // ---------------------------------------------------------------- counters

    int increment5xx() {
        return (int) CONSECUTIVE_5XX.getAndAdd(this, 1) + 1;
    }

    int incrementGateway() {
        return (int) CONSECUTIVE_GATEWAY.getAndAdd(this, 1) + 1;
    }

    int incrementLocal() {
        return (int) CONSECUTIVE_LOCAL.getAndAdd(this, 1) + 1;
    }

    /** Zeroes a run, without writing (and taking the cache line) when it already is zero. */
    void clear5xx() {
        if ((int) CONSECUTIVE_5XX.getOpaque(this) != 0) {
            CONSECUTIVE_5XX.setVolatile(this, 0);
        }
    }

    void clearGateway() {
        if ((int) CONSECUTIVE_GATEWAY.getOpaque(this) != 0) {
            CONSECUTIVE_GATEWAY.setVolatile(this, 0);
        }
    }

    void clearLocal() {
        if ((int) CONSECUTIVE_LOCAL.getOpaque(this) != 0) {
            CONSECUTIVE_LOCAL.setVolatile(this, 0);
        }
    }

    /** Resets a run that stands exactly at {@code threshold}; a run that has moved on is left alone. */
    void resetRunAt(EjectionType type, int threshold) {
        run(type).compareAndSet(this, threshold, 0);
    }

    /** Resets a run whatever it stands at. */
    void resetRun(EjectionType type) {
        run(type).setVolatile(this, 0);
    }

    /** The current length of a run; for the owner and tests. */
    int runLength(EjectionType type) {
        return (int) run(type).getVolatile(this);
    }

    private static VarHandle run(EjectionType type) {
        return switch (type) {
            case CONSECUTIVE_5XX -> CONSECUTIVE_5XX;
            case CONSECUTIVE_GATEWAY_FAILURE -> CONSECUTIVE_GATEWAY;
            case CONSECUTIVE_LOCAL_ORIGIN_FAILURE -> CONSECUTIVE_LOCAL;
            default -> throw new IllegalArgumentException("type: not a consecutive run, got " + type);
        };
    }

    void addExternal(long result) {
        EXTERNAL_BUCKET.getAndAdd(this, result);
    }

    void addLocal(long result) {
        LOCAL_BUCKET.getAndAdd(this, result);
    }

    long takeExternal() {
        return (long) EXTERNAL_BUCKET.getAndSet(this, 0L);
    }

    long takeLocal() {
        return (long) LOCAL_BUCKET.getAndSet(this, 0L);
    }

    /**
     * Turns on a pending bit.
     *
     * @return true when this call turned the host's bits from none to some: the caller hands the
     *     host to the detector's owner, once
     */
    boolean markPending(int bit) {
        int seen;
        do {
            seen = (int) PENDING.getVolatile(this);
            if ((seen & bit) != 0) {
                return false;
            }
        } while (!PENDING.compareAndSet(this, seen, seen | bit));
        return seen == 0;
    }

    /**
     * Forgets the runs, the interval's buckets and any pending hand-over: a new detector starts
     * counting from now. Owner only; ejection state is kept.
     */
    void startCounting() {
        PENDING.setVolatile(this, 0);
        CONSECUTIVE_5XX.setVolatile(this, 0);
        CONSECUTIVE_GATEWAY.setVolatile(this, 0);
        CONSECUTIVE_LOCAL.setVolatile(this, 0);
        EXTERNAL_BUCKET.setVolatile(this, 0L);
        LOCAL_BUCKET.setVolatile(this, 0L);
    }

    /** Takes and clears the pending bits; owner only. */
    int takePending() {
        return (int) PENDING.getAndSet(this, 0);
    }

    @Override
    public String toString() {
        return "HostMonitor[index=" + index + ", ejected=" + ejected + ", ejections=" + ejectionCount + "]";
    }
}
