package dev.meridian.lb.internal;

import dev.meridian.lb.SpillConfig;
import dev.meridian.lb.SpillState;

/**
 * The control loop of capacity-aware spill-over ({@link SpillConfig}): at each evaluation it
 * samples the requests in flight on priority 0's available hosts, estimates the demand they stand
 * for, smooths both, and decides the share of priority 0's picks to divert. Only the owner's
 * control thread runs it; the fraction it decides is published with the picker, and request threads
 * only read that.
 *
 * <p>The rule, with {@code d} the smoothed demand in utilization (requests in flight over
 * capacity), {@code s} the spill threshold and {@code r} the release threshold:
 * <ul>
 *   <li>inactive, spill starts when {@code d >= s};
 *   <li>active, spill stops when {@code d < r};
 *   <li>while active the fraction is {@code 1 - r / d}, at most {@value #MAX_FRACTION}, which
 *       holds priority 0 at utilization {@code r} and sends the excess over it to the next priority:
 *       spill starts with a step (from {@code s} down to {@code r}) and ends smoothly (the fraction
 *       reaches 0 as {@code d} falls to {@code r}), and a demand that wanders inside the band
 *       {@code [r, s)} keeps whichever state it entered with.
 * </ul>
 * While it spills, the locality's own load is held near {@code r} by the spill itself, so its
 * measured load cannot say when to stop: each sample of requests in flight is divided by
 * {@code 1 - f}, {@code f} the fraction in force while the sample's requests were picked, which is
 * what the locality would carry with nothing diverted, if a diverted request would stay in flight
 * as long as a local one does now. When local latency grows with load the estimate is low, which
 * ends spill early rather than late; the band between the thresholds absorbs that.
 *
 * <p>Smoothing is an exponentially weighted moving average over irregular samples: a sample taken
 * {@code dt} after the previous one has weight {@code 1 - exp(-dt / tau)}, so an evaluation that
 * runs late weighs more, and the averages start at 0 when the configuration takes effect.
 *
 * <p>Not thread-safe: one control thread owns it. Allocates one {@link SpillState} per evaluation.
 */
public final class SpillController {

    /**
     * The largest fraction diverted: priority 0 keeps at least 5% of its picks, so its requests in
     * flight, from which demand is estimated, stay measurable however large the demand.
     */
    public static final double MAX_FRACTION = 0.95;

    private final SpillConfig config;
    private final double timeConstantNanos;
    private final long intervalNanos;
    private long lastSampleAt;
    private long nextAt;
    private double smoothedInFlight;
    private double smoothedDemand;
    private boolean active;
    private long since;
    /** The fraction published at the last evaluation (0 when there was no target). */
    private double fraction;
    private SpillState state;

    /**
     * A loop that starts at rest at {@code now}, with its first evaluation one interval later.
     *
     * @param picker the picker in force, for the capacity and target shown before the first evaluation
     */
    public SpillController(SpillConfig config, Snapshot picker, long now) {
        this.config = config;
        this.timeConstantNanos = config.smoothing().toNanos();
        this.intervalNanos = config.evaluationInterval().toNanos();
        this.lastSampleAt = now;
        this.nextAt = now + intervalNanos;
        this.since = now;
        this.state = SpillState.atRest(picker.spillCapacity(), picker.spillTargetPriority(), now);
    }

    /** The configuration this loop runs. */
    public SpillConfig config() {
        return config;
    }

    /** The clock reading at or after which the next evaluation is due. */
    public long nextEvaluationNanos() {
        return nextAt;
    }

    /** The fraction of priority 0's picks to divert, as last decided. */
    public double fraction() {
        return fraction;
    }

    /** The latest evaluation's state. */
    public SpillState state() {
        return state;
    }

    /**
     * Samples the picker's priority 0, smooths and decides; the next evaluation is due one interval
     * after {@code now}.
     *
     * @param picker the picker in force: its priority 0 hosts and their counters, capacity and target
     * @return true when the fraction changed (the owner publishes it)
     */
    public boolean evaluate(Snapshot picker, long now) {
        double capacity = picker.spillCapacity();
        int target = picker.spillTargetPriority();
        long inFlight = picker.spillInFlight();
        // The fraction that applied while these requests were picked: none without a target.
        double applied = target < 0 ? 0 : fraction;
        double demandSample = inFlight / (1 - applied);
        long dt = Math.max(0, now - lastSampleAt);
        double weight = timeConstantNanos <= 0 ? 1 : -Math.expm1(-dt / timeConstantNanos);
        smoothedInFlight += weight * (inFlight - smoothedInFlight);
        smoothedDemand += weight * (demandSample - smoothedDemand);
        lastSampleAt = now;
        nextAt = now + intervalNanos;

        double utilization = capacity > 0 ? smoothedInFlight / capacity : 0;
        double demand = capacity > 0 ? smoothedDemand / capacity : 0;
        boolean next;
        if (capacity <= 0) {
            // No available host in priority 0: Envoy's health-based failover already moves its load.
            next = false;
        } else if (active) {
            next = demand >= config.releaseThreshold();
        } else {
            next = demand >= config.spillThreshold();
        }
        if (next != active) {
            active = next;
            since = now;
        }
        double decided = active && target >= 0
                ? Math.min(MAX_FRACTION, Math.max(0, 1 - config.releaseThreshold() / demand)) : 0;
        boolean changed = decided != fraction;
        fraction = decided;
        state = new SpillState(active, decided, utilization, demand, capacity, target, since, now);
        return changed;
    }
}
