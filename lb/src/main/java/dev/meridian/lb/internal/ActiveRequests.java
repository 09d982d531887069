package dev.meridian.lb.internal;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Requests in flight per host id of one snapshot's table, which least request reads on the pick
 * path. Whoever owns the hosts owns the counters: a balancer over one table keeps them in a striped
 * array, a cluster keeps them on its per-host handles so that they survive endpoint updates.
 *
 * <p>Thread-safe; reads and updates are lock-free and allocate nothing.
 */
public abstract class ActiveRequests {

    /** The number of requests in flight to a host, never negative. */
    public abstract int get(int host);

    /** Counters in one array, one per 64-byte line, for a table of {@code hosts} hosts. */
    public static Striped striped(int hosts) {
        return new Striped(hosts);
    }

    /** One counter per cache line in an {@link AtomicIntegerArray}. */
    public static final class Striped extends ActiveRequests {
        /** Ints between two counters: 64 bytes, one counter per cache line. */
        private static final int STRIDE = 16;
        private final AtomicIntegerArray counts;
        private final int hosts;

        Striped(int hosts) {
            this.hosts = hosts;
            this.counts = new AtomicIntegerArray(Math.max(1, hosts) * STRIDE);
        }

        @Override
        public int get(int host) {
            return Math.max(0, counts.get(host * STRIDE));
        }

        /** Sets a host's count; for carrying counts over to a new table. */
        public void set(int host, int count) {
            counts.set(host * STRIDE, count);
        }

        /** Counts a request started; ignores unknown ids. */
        public void started(int host) {
            if (host >= 0 && host < hosts) {
                counts.incrementAndGet(host * STRIDE);
            }
        }

        /** Counts a request finished; the count never goes below zero. Ignores unknown ids. */
        public void finished(int host) {
            if (host < 0 || host >= hosts) {
                return;
            }
            int index = host * STRIDE;
            int current;
            do {
                current = counts.get(index);
                if (current <= 0) {
                    return;
                }
            } while (!counts.compareAndSet(index, current, current - 1));
        }
    }
}
