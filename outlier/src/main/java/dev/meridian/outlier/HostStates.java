package dev.meridian.outlier;

import dev.meridian.core.EndpointTable;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The detector's per-host state for one endpoint table, as parallel arrays indexed by host id.
 *
 * <p>Thread-safe under {@link OutlierDetector}'s contract: recording threads touch only
 * {@link #results}, {@link #pending} and the pending queue's tail and slots, all atomic; everything
 * else is written under the detector's transition lock, and what readers may look at without that
 * lock sits in atomic arrays or volatile fields.
 */
final class HostStates {

    /*
     * Each host's recording counters live in their own 128-byte stretch of one array, with the used
     * slots in the middle, so that threads recording to different hosts never write to the same
     * cache line or to its adjacent-line prefetch pair.
     */
    static final int STRIDE = 16;
    static final int CONSECUTIVE_5XX = 4;
    static final int CONSECUTIVE_GATEWAY = 5;
    static final int CONSECUTIVE_LOCAL = 6;
    /** Results of the current interval: requests in the high 32 bits, successes in the low 32 bits. */
    static final int EXTERNAL_BUCKET = 7;
    /** As {@link #EXTERNAL_BUCKET}, for local-origin results with split errors. */
    static final int LOCAL_BUCKET = 8;

    /** Added to a bucket for a failed request: one more request, no more successes. */
    static final long ONE_FAILURE = 1L << 32;
    /** Added to a bucket for a successful request. */
    static final long ONE_SUCCESS = ONE_FAILURE | 1L;

    final EndpointTable table;
    final int size;

    /** Consecutive counters and interval buckets, {@link #STRIDE} slots per host. */
    final AtomicLongArray results;
    /** Per host, one bit per {@link EjectionType} a recording thread asked the detector to consider. */
    final AtomicIntegerArray pending;
    /**
     * Hosts whose {@link #pending} bits went from none to some, as {@code hostId + 1} (0: free or
     * claimed but not yet written), in a ring of one slot per host. A host is queued only by the
     * call that turns its bits on and leaves the queue before they are cleared, so it is in the
     * queue at most once and the ring never overflows.
     */
    private final AtomicIntegerArray pendingQueue;
    private final AtomicLong pendingTail = new AtomicLong();
    /** Under the transition lock. */
    private long pendingHead;

    /** 1 while ejected. */
    final AtomicIntegerArray ejected;
    /** The clock reading from which an ejected host may return; meaningless while in service. */
    final AtomicLongArray ejectedUntil;
    /** Envoy's {@code num_ejections}: every ejection so far, never lowered. */
    final AtomicIntegerArray ejectionCount;

    // Written and read only under the transition lock.
    final long[] ejectedAt;
    final long[] ejectionNanos;
    /** Envoy's {@code eject_time_backoff}: the multiplier of the base ejection time. */
    final int[] backoff;
    final long[] returnedAt;
    final boolean[] hasReturned;
    final long[] lastExternal;
    final long[] lastLocal;
    final int[] successRateHosts;
    final double[] successRates;
    final int[] failurePercentageHosts;
    final double[] failurePercentageRates;

    /** Hosts ejected now; written under the lock, read without it. */
    volatile int active;

    HostStates(EndpointTable table) {
        this.table = table;
        size = table.size();
        results = new AtomicLongArray(Math.max(1, size) * STRIDE);
        pending = new AtomicIntegerArray(size);
        pendingQueue = new AtomicIntegerArray(Math.max(1, size));
        ejected = new AtomicIntegerArray(size);
        ejectedUntil = new AtomicLongArray(size);
        ejectionCount = new AtomicIntegerArray(size);
        ejectedAt = new long[size];
        ejectionNanos = new long[size];
        backoff = new int[size];
        returnedAt = new long[size];
        hasReturned = new boolean[size];
        lastExternal = new long[size];
        lastLocal = new long[size];
        successRateHosts = new int[size];
        successRates = new double[size];
        failurePercentageHosts = new int[size];
        failurePercentageRates = new double[size];
    }

    /** Queues a host whose pending bits this thread has just turned on. Lock-free, allocation-free. */
    void enqueuePending(int hostId) {
        long claimed = pendingTail.getAndIncrement();
        pendingQueue.set((int) (claimed % pendingQueue.length()), hostId + 1);
    }

    /**
     * The next queued host, or -1 when the queue is empty or its head is claimed but not yet
     * written; that host's recording thread asks for the lock again once it has written it. Under
     * the transition lock; the caller then clears the host's pending bits.
     */
    int pollPending() {
        long head = pendingHead;
        if (head == pendingTail.get()) {
            return -1;
        }
        int index = (int) (head % pendingQueue.length());
        int entry = pendingQueue.get(index);
        if (entry == 0) {
            return -1;
        }
        pendingQueue.set(index, 0);
        pendingHead = head + 1;
        return entry - 1;
    }

    static int slot(int hostId, int field) {
        return hostId * STRIDE + field;
    }

    /** Carries one host's state over from a previous table; under the transition lock. */
    void copyHost(HostStates from, int fromId, int toId) {
        for (int field = CONSECUTIVE_5XX; field <= LOCAL_BUCKET; field++) {
            results.set(slot(toId, field), from.results.get(slot(fromId, field)));
        }
        ejectionCount.set(toId, from.ejectionCount.get(fromId));
        ejectedAt[toId] = from.ejectedAt[fromId];
        ejectionNanos[toId] = from.ejectionNanos[fromId];
        backoff[toId] = from.backoff[fromId];
        returnedAt[toId] = from.returnedAt[fromId];
        hasReturned[toId] = from.hasReturned[fromId];
        lastExternal[toId] = from.lastExternal[fromId];
        lastLocal[toId] = from.lastLocal[fromId];
        ejectedUntil.set(toId, from.ejectedUntil.get(fromId));
        if (from.ejected.get(fromId) != 0) {
            ejected.set(toId, 1);
            active++;
        }
    }
}
