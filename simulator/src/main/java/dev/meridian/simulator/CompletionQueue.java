package dev.meridian.simulator;

import java.util.Arrays;

/**
 * Requests in flight, ordered by the virtual time their response arrives: a binary min-heap over
 * parallel primitive arrays, so the event loop neither boxes nor allocates once the heap has grown
 * to the number of requests in flight. Ties leave in the order they were pushed, which keeps a run
 * repeatable whatever the heap's shape.
 *
 * <p>Each entry carries a caller index (0 to 32767), an endpoint index (0 to 2^32-1) and a status
 * (-32768 to 32767), packed into one long.
 *
 * <p>Not thread-safe: owned by one simulation loop.
 */
final class CompletionQueue {
    private long[] times;
    private long[] sequences;
    private long[] payloads;
    private int size;
    private long nextSequence;

    CompletionQueue(int initialCapacity) {
        int capacity = Math.max(16, initialCapacity);
        times = new long[capacity];
        sequences = new long[capacity];
        payloads = new long[capacity];
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The earliest completion time, or {@link Long#MAX_VALUE} when empty. */
    long peekTime() {
        return size == 0 ? Long.MAX_VALUE : times[0];
    }

    /** The payload of the earliest entry; call only when not empty. */
    long peekPayload() {
        return payloads[0];
    }

    void push(long time, int caller, int endpoint, int status) {
        if (size == times.length) {
            int capacity = times.length * 2;
            times = Arrays.copyOf(times, capacity);
            sequences = Arrays.copyOf(sequences, capacity);
            payloads = Arrays.copyOf(payloads, capacity);
        }
        long seq = nextSequence++;
        long payload = pack(caller, endpoint, status);
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!before(time, seq, times[parent], sequences[parent])) {
                break;
            }
            move(parent, i);
            i = parent;
        }
        set(i, time, seq, payload);
    }

    /** Removes the earliest entry; call only when not empty. */
    void pop() {
        int last = --size;
        if (last == 0) {
            return;
        }
        long time = times[last];
        long seq = sequences[last];
        long payload = payloads[last];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= last) {
                break;
            }
            if (child + 1 < last && before(times[child + 1], sequences[child + 1], times[child], sequences[child])) {
                child++;
            }
            if (!before(times[child], sequences[child], time, seq)) {
                break;
            }
            move(child, i);
            i = child;
        }
        set(i, time, seq, payload);
    }

    static long pack(int caller, int endpoint, int status) {
        return ((long) caller << 48) | ((endpoint & 0xFFFF_FFFFL) << 16) | (status & 0xFFFFL);
    }

    static int caller(long payload) {
        return (int) (payload >>> 48);
    }

    static int endpoint(long payload) {
        return (int) ((payload >>> 16) & 0xFFFF_FFFFL);
    }

    static int status(long payload) {
        return (short) payload;
    }

    private static boolean before(long t1, long s1, long t2, long s2) {
        return t1 < t2 || (t1 == t2 && s1 < s2);
    }

    private void move(int from, int to) {
        times[to] = times[from];
        sequences[to] = sequences[from];
        payloads[to] = payloads[from];
    }

    private void set(int i, long time, long seq, long payload) {
        times[i] = time;
        sequences[i] = seq;
        payloads[i] = payload;
    }
}
