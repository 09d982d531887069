package dev.meridian.lb.internal;

import dev.meridian.core.EndpointTable;

/**
 * One list of hosts that a pick balances over once priority and locality are chosen (Envoy's host
 * set for that choice), with what round robin needs to choose among them in a few array reads:
 * the rotation's reciprocal for equal weights, and for unequal weights the host at every point of
 * the cumulative weights (or, when the weights sum to too much for that, a {@link WeightedIndex}).
 *
 * <p>Immutable and thread-safe.
 */
final class HostSource {
    /** 2^64 / golden ratio: the step of the sequence that chooses a point on the cumulative weights. */
    static final long GOLDEN_STEP = 0x9E3779B97F4A7C15L;
    /**
     * Points per host up to which the point table is built instead of only the guide table: host
     * weights 1 to 4, the common range, fit; the table then costs at most 16 bytes per host.
     */
    private static final long POINTS_PER_HOST = 4;
    /** Sources this small get a point table whatever their weights. */
    private static final long MIN_POINTS = 64;

    final int[] hosts;
    final int[] weights;
    final boolean equalWeights;
    final int maxWeight;
    /** This source's sequence in {@link Sequences}. */
    final int slot;
    /** {@code floor((2^64 - 1) / hosts.length)}, for rotation without a 64-bit division. */
    final long reciprocal;
    /** The sum of the weights. */
    final long total;
    /**
     * Weighted round robin's lookup over the cumulative weights when there is no
     * {@link #hostAtPoint}; null unless round robin may walk the source.
     */
    private final WeightedIndex index;
    /**
     * {@code hostAtPoint[p]}: the host whose stretch of the cumulative weights holds point {@code p}
     * (the host a {@link WeightedIndex} finds for it, in one read); null when the weights sum to
     * more than the table may hold, or unless round robin may walk the source.
     */
    final int[] hostAtPoint;

    /** @param roundRobin whether round robin may pick from it, which needs a lookup */
    HostSource(int[] hosts, EndpointTable table, int slot, boolean roundRobin) {
        int n = hosts.length;
        this.hosts = hosts;
        this.weights = new int[n];
        long[] cumulative = new long[n];
        int max = 0;
        long sum = 0;
        boolean equal = true;
        for (int i = 0; i < n; i++) {
            weights[i] = table.weight(hosts[i]);
            max = Math.max(max, weights[i]);
            sum += weights[i];
            cumulative[i] = sum;
            equal &= weights[i] == weights[0];
        }
        this.maxWeight = max;
        this.total = sum;
        this.equalWeights = equal;
        this.slot = slot;
        this.reciprocal = n == 0 ? 0 : Long.divideUnsigned(-1L, n);
        // Slow start can make a source of equal weights weighted, so every round-robin source with
        // more than one host gets a lookup: the point table when it is small, else the guide table.
        if (roundRobin && n > 1 && sum <= Math.max(MIN_POINTS, POINTS_PER_HOST * n)) {
            hostAtPoint = new int[(int) sum];
            int point = 0;
            for (int i = 0; i < n; i++) {
                for (int w = 0; w < weights[i]; w++) {
                    hostAtPoint[point++] = hosts[i];
                }
            }
            index = null;
        } else {
            hostAtPoint = null;
            index = roundRobin && n > 1 ? new WeightedIndex(cumulative) : null;
        }
    }

    /**
     * The host round robin takes for sequence value {@code seq}: plain rotation for equal weights,
     * as Envoy, else the weighted walk.
     */
    int roundRobin(long seq) {
        return equalWeights ? rotate(seq) : walk(seq);
    }

    /** Plain rotation: host {@code seq mod n}. */
    int rotate(long seq) {
        return hosts[remainder(seq, hosts.length, reciprocal)];
    }

    /**
     * The weighted walk: the host whose stretch of the cumulative weights holds the point
     * {@code (seq × 2^64/φ mod 2^64) × total / 2^64}, a golden-ratio Weyl sequence scaled onto the
     * weights. Only for sources with more than one host and round robin.
     */
    int walk(long seq) {
        long u = seq * GOLDEN_STEP;
        int[] points = hostAtPoint;
        if (points != null) {
            return points[(int) WeightedIndex.unsignedMultiplyHigh(u, total)];
        }
        return hosts[index.find(u)];
    }

    /**
     * {@code Long.remainderUnsigned(value, n)} without a 64-bit division (Barrett reduction):
     * {@code reciprocal = floor((2^64 - 1) / n)} makes the quotient estimate exact or one short, so
     * one conditional subtraction finishes it.
     */
    static int remainder(long value, int n, long reciprocal) {
        long r = value - WeightedIndex.unsignedMultiplyHigh(value, reciprocal) * n;
        return (int) (r >= n ? r - n : r);
    }
}
