package dev.meridian.lb;

import dev.meridian.core.Locality;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Capacity-aware spill-over, Meridian's own rule (Envoy has no such setting, so a configuration
 * without it balances exactly as Envoy does): requests stay in priority 0, the caller's own
 * locality under Istio's priorities, while that priority's load is below {@link #spillThreshold},
 * and once it reaches it the excess goes to the next priority, until the load falls below
 * {@link #releaseThreshold}. The rule and the reasoning behind each default are in
 * {@code docs/spill.md}.
 *
 * <p>The load is the number of requests in flight on priority 0's hosts (least request's counters,
 * {@code Cluster.requestStarted} and {@code requestFinished}) over their capacity, both read on the
 * control thread. A host's capacity is {@link #hostCapacity} requests in flight per unit of its
 * weight; a locality listed in {@link #localityCapacity} has that capacity in all instead, shared
 * by its hosts, so a locality whose hosts are partly unavailable has that part less.
 *
 * <p>Immutable and thread-safe.
 *
 * @param spillThreshold the utilization (requests in flight over capacity) at which spill starts;
 *     finite and greater than 0, and it may exceed 1, since requests queued on a host are in flight
 *     too; default {@value #DEFAULT_SPILL_THRESHOLD}
 * @param releaseThreshold the utilization below which spill stops, and which priority 0 is held at
 *     while it spills; greater than 0 and below {@code spillThreshold}; default
 *     {@value #DEFAULT_RELEASE_THRESHOLD}
 * @param hostCapacity requests in flight one host of weight 1 serves at utilization 1 (for example
 *     its worker threads or its concurrency limit); finite and greater than 0; no default
 * @param localityCapacity requests in flight each listed locality's hosts serve together at
 *     utilization 1, replacing {@code hostCapacity} there; finite and greater than 0; may be empty
 * @param smoothing the time constant of the exponentially weighted moving average of the samples;
 *     0 takes each sample as it is; default {@value #DEFAULT_SMOOTHING_MILLIS} ms
 * @param evaluationInterval how often the control thread samples and decides; greater than 0;
 *     default {@value #DEFAULT_EVALUATION_INTERVAL_MILLIS} ms
 */
public record SpillConfig(double spillThreshold, double releaseThreshold, double hostCapacity,
                          Map<Locality, Double> localityCapacity, Duration smoothing, Duration evaluationInterval) {

    /** The default spill threshold: 80% of capacity, the margin before requests start to queue. */
    public static final double DEFAULT_SPILL_THRESHOLD = 0.8;
    /** The default release threshold: a band of 0.2 below the spill threshold. */
    public static final double DEFAULT_RELEASE_THRESHOLD = 0.6;
    /** The default smoothing time constant in milliseconds. */
    public static final long DEFAULT_SMOOTHING_MILLIS = 2_000;
    /** The default evaluation interval in milliseconds. */
    public static final long DEFAULT_EVALUATION_INTERVAL_MILLIS = 500;

    public SpillConfig {
        if (!(spillThreshold > 0) || Double.isInfinite(spillThreshold)) {
            throw new IllegalArgumentException("spill.spillThreshold: must be a finite number > 0, got "
                    + spillThreshold);
        }
        if (!(releaseThreshold > 0) || !(releaseThreshold < spillThreshold)) {
            throw new IllegalArgumentException("spill.releaseThreshold: must be > 0 and below spillThreshold "
                    + spillThreshold + ", got " + releaseThreshold);
        }
        if (!(hostCapacity > 0) || Double.isInfinite(hostCapacity)) {
            throw new IllegalArgumentException("spill.hostCapacity: must be a finite number > 0, got " + hostCapacity);
        }
        if (localityCapacity == null) {
            throw new IllegalArgumentException("spill.localityCapacity: must not be null (empty for none)");
        }
        Map<Locality, Double> copy = new LinkedHashMap<>();
        for (Map.Entry<Locality, Double> e : localityCapacity.entrySet()) {
            if (e.getKey() == null) {
                throw new IllegalArgumentException("spill.localityCapacity: a locality must not be null");
            }
            Double c = e.getValue();
            if (c == null || !(c > 0) || c.isInfinite()) {
                throw new IllegalArgumentException("spill.localityCapacity[" + e.getKey()
                        + "]: must be a finite number > 0, got " + c);
            }
            copy.put(e.getKey(), c);
        }
        localityCapacity = java.util.Collections.unmodifiableMap(copy);
        if (smoothing == null || smoothing.isNegative()) {
            throw new IllegalArgumentException("spill.smoothing: must be 0 or more, got " + smoothing);
        }
        if (evaluationInterval == null || evaluationInterval.isNegative() || evaluationInterval.isZero()) {
            throw new IllegalArgumentException("spill.evaluationInterval: must be greater than zero, got "
                    + evaluationInterval);
        }
    }

    /**
     * Spill-over with the default thresholds ({@value #DEFAULT_SPILL_THRESHOLD} and
     * {@value #DEFAULT_RELEASE_THRESHOLD}), smoothing and interval, for hosts that each serve
     * {@code hostCapacity} requests in flight per unit of weight.
     *
     * @throws IllegalArgumentException when the capacity is not a finite number above 0
     */
    public static SpillConfig of(double hostCapacity) {
        return new SpillConfig(DEFAULT_SPILL_THRESHOLD, DEFAULT_RELEASE_THRESHOLD, hostCapacity, Map.of(),
                Duration.ofMillis(DEFAULT_SMOOTHING_MILLIS), Duration.ofMillis(DEFAULT_EVALUATION_INTERVAL_MILLIS));
    }

    /** The same with other thresholds. @throws IllegalArgumentException as the constructor */
    public SpillConfig withThresholds(double spill, double release) {
        return new SpillConfig(spill, release, hostCapacity, localityCapacity, smoothing, evaluationInterval);
    }

    /** The same with another capacity per unit of host weight. @throws IllegalArgumentException as the constructor */
    public SpillConfig withHostCapacity(double capacity) {
        return new SpillConfig(spillThreshold, releaseThreshold, capacity, localityCapacity, smoothing,
                evaluationInterval);
    }

    /** The same with these localities' capacities. @throws IllegalArgumentException as the constructor */
    public SpillConfig withLocalityCapacity(Map<Locality, Double> capacity) {
        return new SpillConfig(spillThreshold, releaseThreshold, hostCapacity, capacity, smoothing,
                evaluationInterval);
    }

    /** The same with another smoothing time constant. @throws IllegalArgumentException as the constructor */
    public SpillConfig withSmoothing(Duration timeConstant) {
        return new SpillConfig(spillThreshold, releaseThreshold, hostCapacity, localityCapacity, timeConstant,
                evaluationInterval);
    }

    /** The same with another evaluation interval. @throws IllegalArgumentException as the constructor */
    public SpillConfig withEvaluationInterval(Duration interval) {
        return new SpillConfig(spillThreshold, releaseThreshold, hostCapacity, localityCapacity, smoothing, interval);
    }
}
