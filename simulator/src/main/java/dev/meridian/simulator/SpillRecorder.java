package dev.meridian.simulator;

import dev.meridian.lb.SpillConfig;
import dev.meridian.lb.SpillState;

/**
 * What the callers' capacity-aware spill-over decided over a run: each caller's state from one
 * evaluation to the next, integrated over virtual time per phase and per tenth of the run, how often
 * it started and stopped, and how many requests left priority 0 in each tenth.
 *
 * <p>A state holds from the evaluation that published it until the next one, so each value is
 * added as value × elapsed time when the caller's next state arrives, when a phase closes and when
 * the run ends; an area divided by callers × length is the time average over the callers. Tenths
 * are whole buckets, as {@link LoadRecorder}'s are, so the two tables line up.
 *
 * <p>Not thread-safe: owned by one simulation loop. The per-request method allocates nothing.
 */
final class SpillRecorder {
    private static final int FRACTION = 0;
    private static final int ACTIVE = 1;
    private static final int DEMAND = 2;
    private static final int UTILIZATION = 3;
    private static final int CAPACITY = 4;
    private static final int VALUES = 5;

    private final SpillConfig config;
    /** Which callers spill: sidecar callers do, kube-proxy callers never do. */
    private final boolean[] spilling;
    private final int callers;
    private final long sliceNanos;
    private final int sliceCount;
    private final long endNanos;

    // Per caller: the state in force since {@code since}.
    private final SpillState[] state;
    private final long[] since;

    private final double[] sliceArea;
    private final long[] sliceRequests;
    private final long[] sliceBeyondZero;
    private final double[] phaseArea;
    private final int[] phaseStarts;
    private final int[] phaseStops;

    /**
     * @param spilling per caller, whether its cluster has spill-over
     * @param bucketCount the run's buckets; a tenth is {@code ceil(bucketCount / 10)} of them
     */
    SpillRecorder(SpillConfig config, boolean[] spilling, int phaseCount, int bucketCount, long bucketNanos,
                  long endNanos) {
        this.config = config;
        this.spilling = spilling.clone();
        int n = 0;
        for (boolean s : spilling) {
            n += s ? 1 : 0;
        }
        this.callers = n;
        int bucketsPerSlice = (bucketCount + LoadRecorder.SLICES - 1) / LoadRecorder.SLICES;
        this.sliceNanos = bucketsPerSlice * bucketNanos;
        this.sliceCount = (bucketCount + bucketsPerSlice - 1) / bucketsPerSlice;
        this.endNanos = endNanos;
        this.state = new SpillState[spilling.length];
        this.since = new long[spilling.length];
        this.sliceArea = new double[sliceCount * VALUES];
        this.sliceRequests = new long[sliceCount];
        this.sliceBeyondZero = new long[sliceCount];
        this.phaseArea = new double[phaseCount * VALUES];
        this.phaseStarts = new int[phaseCount];
        this.phaseStops = new int[phaseCount];
    }

    /**
     * Caller {@code c}'s latest state, as its cluster publishes it, at {@code now}: the previous one
     * is credited up to now, and a change of {@link SpillState#active} counts as a start or a stop
     * in the phase. The same state object again changes nothing.
     */
    void observe(int c, SpillState latest, int phase, long now) {
        if (!spilling[c] || latest == null || latest == state[c]) {
            return;
        }
        SpillState previous = state[c];
        credit(c, phase, now);
        state[c] = latest;
        if (previous != null && previous.active() != latest.active()) {
            if (latest.active()) {
                phaseStarts[phase]++;
            } else {
                phaseStops[phase]++;
            }
        }
    }

    /** A request picked at {@code now}, at {@code priority} (-1 when no endpoint was picked). */
    void picked(long now, int priority) {
        int s = slice(now);
        sliceRequests[s]++;
        if (priority > 0) {
            sliceBeyondZero[s]++;
        }
    }

    /** Credits every caller's state up to {@code now}, the end of phase {@code phase}. */
    void closePhase(int phase, long now) {
        for (int c = 0; c < state.length; c++) {
            credit(c, phase, now);
        }
    }

    private void credit(int c, int phase, long now) {
        SpillState s = state[c];
        long from = since[c];
        since[c] = now;
        if (s == null || now <= from) {
            return;
        }
        double fraction = s.fraction();
        double active = s.active() ? 1 : 0;
        double demand = s.demand();
        double utilization = s.utilization();
        double capacity = s.capacity();
        add(phaseArea, phase, now - from, fraction, active, demand, utilization, capacity);
        // Split the interval at the tenths' boundaries.
        long at = from;
        while (at < now) {
            int slice = slice(at);
            long sliceEnd = slice + 1 >= sliceCount ? Long.MAX_VALUE : (slice + 1) * sliceNanos;
            long until = Math.min(now, sliceEnd);
            add(sliceArea, slice, until - at, fraction, active, demand, utilization, capacity);
            at = until;
        }
    }

    private static void add(double[] area, int row, long nanos, double fraction, double active, double demand,
                            double utilization, double capacity) {
        int base = row * VALUES;
        area[base + FRACTION] += fraction * nanos;
        area[base + ACTIVE] += active * nanos;
        area[base + DEMAND] += demand * nanos;
        area[base + UTILIZATION] += utilization * nanos;
        area[base + CAPACITY] += capacity * nanos;
    }

    private int slice(long nanos) {
        return (int) Math.min(sliceCount - 1, nanos / sliceNanos);
    }

    /**
     * What was recorded; call after the last phase is closed.
     *
     * @param phaseBounds each phase's start, then the run's end
     */
    SimulationResult.Spill result(long[] phaseBounds) {
        int phases = phaseStarts.length;
        double[] phaseMeans = new double[phases * VALUES];
        for (int p = 0; p < phases; p++) {
            mean(phaseArea, phaseMeans, p, phaseBounds[p + 1] - phaseBounds[p]);
        }
        double[] sliceMeans = new double[sliceCount * VALUES];
        for (int s = 0; s < sliceCount; s++) {
            mean(sliceArea, sliceMeans, s, Math.min(endNanos, (s + 1) * sliceNanos) - s * sliceNanos);
        }
        int activeAtEnd = 0;
        for (int c = 0; c < state.length; c++) {
            if (spilling[c] && state[c] != null && state[c].active()) {
                activeAtEnd++;
            }
        }
        return new SimulationResult.Spill(config, callers, activeAtEnd, phaseMeans, phaseStarts.clone(),
                phaseStops.clone(), sliceCount, sliceNanos, sliceMeans, sliceRequests.clone(), sliceBeyondZero.clone());
    }

    private void mean(double[] area, double[] out, int row, long length) {
        double denominator = (double) callers * Math.max(1, length);
        for (int v = 0; v < VALUES; v++) {
            out[row * VALUES + v] = area[row * VALUES + v] / denominator;
        }
    }
}
