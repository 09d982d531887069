package dev.meridian.lb;

/**
 * What capacity-aware spill-over ({@link SpillConfig}) decided at its latest evaluation, and the
 * load it decided on. Utilizations are requests in flight over {@link #capacity}. Immutable and
 * thread-safe.
 *
 * @param active true from the evaluation at which the estimated demand reached the spill threshold
 *     until the one at which it fell below the release threshold
 * @param fraction the share of the picks that land in priority 0 which go to {@link #targetPriority}
 *     instead, 0 to 1; 0 when inactive or when there is no priority to spill to
 * @param utilization the smoothed requests in flight on priority 0's available hosts over their
 *     capacity: the load the locality carries
 * @param demand the smoothed estimate of the utilization priority 0 would carry with nothing
 *     diverted: each sample's requests in flight divided by {@code 1 - fraction} then in force
 * @param capacity requests in flight priority 0's available hosts serve at utilization 1; 0 when it
 *     has none (Envoy's health-based failover then decides alone)
 * @param targetPriority the priority diverted picks go to: the first after 0 with healthy hosts and
 *     not in panic; -1 when there is none, and then nothing is diverted
 * @param sinceNanos the clock reading at which {@link #active} took its current value (the
 *     configuration's start when it never changed)
 * @param evaluatedAtNanos the clock reading of the evaluation
 */
public record SpillState(boolean active, double fraction, double utilization, double demand, double capacity,
                         int targetPriority, long sinceNanos, long evaluatedAtNanos) {

    /** The state before any evaluation: nothing measured, nothing diverted. */
    public static SpillState atRest(double capacity, int targetPriority, long nowNanos) {
        return new SpillState(false, 0, 0, 0, capacity, targetPriority, nowNanos, nowNanos);
    }
}
