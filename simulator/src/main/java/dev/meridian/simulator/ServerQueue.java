package dev.meridian.simulator;

import java.util.Arrays;

/**
 * One endpoint's server with bounded concurrency: at most {@code concurrency} requests in service at
 * once, the others waiting first come, first served, and at most {@code queueLimit} of them waiting
 * (a request that finds the waiting room full is shed).
 *
 * <p>Each request's service time is drawn when it arrives, so its start is decided then too: with
 * first-come-first-served order a request starts on the server that frees first, once it has
 * arrived (the Kiefer-Wolfowitz recursion for the multi-server queue). The queue therefore needs no
 * events of its own: it keeps, per server, when that server is next free (a min-heap of at most
 * {@code concurrency} times, grown only as far as requests were ever in the system at once), and,
 * when waiting is limited, the start times of the requests still waiting (a FIFO: starts never
 * decrease in arrival order, because arrivals and the earliest free time both only move forward).
 *
 * <p>A request keeps its server until its service ends even when the caller has given up on it (a
 * route timeout): the server does not learn of it, as a thread-pool server that already read the
 * request does not.
 *
 * <p>Not thread-safe: owned by one simulation loop. Allocates only while its arrays grow.
 */
final class ServerQueue {
    /** No bound: the value of {@code concurrency} or {@code queueLimit} that turns the bound off. */
    static final int UNLIMITED = Integer.MAX_VALUE;

    private final int concurrency;
    private final int queueLimit;
    /** When each server that ever served is next free: a binary min-heap of {@code servers} entries. */
    private long[] freeAt;
    private int servers;
    /** Start times of the requests still waiting, oldest first: a ring of {@code waiting} entries from {@code head}. */
    private long[] starts;
    private int head;
    private int waiting;

    /**
     * @param concurrency requests served at once, at least 1 (not {@link #UNLIMITED}: an endpoint
     *     without a bound has no queue)
     * @param queueLimit requests that may wait, 0 or more, or {@link #UNLIMITED}
     */
    ServerQueue(int concurrency, int queueLimit) {
        if (concurrency < 1 || concurrency == UNLIMITED) {
            throw new IllegalArgumentException("concurrency: must be from 1 to " + (UNLIMITED - 1) + ", got "
                    + concurrency);
        }
        if (queueLimit < 0) {
            throw new IllegalArgumentException("queueLimit: must be 0 or more, got " + queueLimit);
        }
        this.concurrency = concurrency;
        this.queueLimit = queueLimit;
        this.freeAt = new long[Math.min(concurrency, 16)];
        this.starts = queueLimit == UNLIMITED ? null : new long[Math.max(1, Math.min(queueLimit, 16))];
    }

    int concurrency() {
        return concurrency;
    }

    int queueLimit() {
        return queueLimit;
    }

    /**
     * Whether a request arriving at {@code now} is shed: every server is busy past {@code now} and
     * {@code queueLimit} requests already wait. Always false without a queue limit.
     */
    boolean full(long now) {
        if (starts == null || servers < concurrency || freeAt[0] <= now) {
            return false;
        }
        return waitingAt(now) >= queueLimit;
    }

    /** Requests that arrived before {@code now} and have not started by {@code now}; tracked only with a queue limit. */
    private int waitingAt(long now) {
        while (waiting > 0 && starts[head] <= now) {
            head = head + 1 == starts.length ? 0 : head + 1;
            waiting--;
        }
        return waiting;
    }

    /**
     * Admits a request arriving at {@code now} that needs {@code serviceNanos} of a server, and
     * returns when its service starts: {@code now} when a server is free, else when the first server
     * frees, after every request that arrived before it. Call {@link #full} first when waiting is
     * limited; this method does not shed.
     */
    long admit(long now, long serviceNanos) {
        long start;
        if (servers < concurrency) {
            // A server that never served is free.
            start = now;
            if (servers == freeAt.length) {
                freeAt = Arrays.copyOf(freeAt, (int) Math.min(concurrency, 2L * freeAt.length));
            }
            siftUp(servers++, now + serviceNanos);
        } else {
            start = Math.max(now, freeAt[0]);
            siftDown(start + serviceNanos);
        }
        if (starts != null && start > now) {
            waitingAt(now);
            if (waiting == starts.length) {
                long[] grown = new long[(int) Math.min(Integer.MAX_VALUE - 8, 2L * starts.length)];
                for (int i = 0; i < waiting; i++) {
                    grown[i] = starts[(head + i) % starts.length];
                }
                starts = grown;
                head = 0;
            }
            starts[(head + waiting) % starts.length] = start;
            waiting++;
        }
        return start;
    }

    private void siftUp(int i, long value) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (freeAt[parent] <= value) {
                break;
            }
            freeAt[i] = freeAt[parent];
            i = parent;
        }
        freeAt[i] = value;
    }

    /** Replaces the earliest free time with {@code value}. */
    private void siftDown(long value) {
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= servers) {
                break;
            }
            if (child + 1 < servers && freeAt[child + 1] < freeAt[child]) {
                child++;
            }
            if (freeAt[child] >= value) {
                break;
            }
            freeAt[i] = freeAt[child];
            i = child;
        }
        freeAt[i] = value;
    }
}
