package dev.meridian.lb.internal;

/**
 * One priority of a snapshot as {@link SnapshotBuilder} derived it: its host sets (all, healthy,
 * degraded, and the same per locality), locality weights, effective locality weights and, for the
 * hash policies, its table. Cold data: the pick path reads {@link Route}s and rings, the planner
 * reads these.
 *
 * <p>Immutable once built and thread-safe.
 */
final class PriorityLevel {
    final int priority;
    /** Whether the priority is in panic. */
    final boolean panic;
    final HostSource all;
    final HostSource healthy;
    final HostSource degraded;
    /** The ids of the localities that have hosts at this priority, ascending. */
    final int[] localityIds;
    final int[] localityWeights;
    /** Envoy's effective weight of each locality over its healthy hosts. */
    final double[] effectiveWeights;
    final HostSource[] allByLocality;
    final HostSource[] healthyByLocality;
    final HostSource[] degradedByLocality;
    /** The consistent-hash table; null unless the policy hashes. */
    HashRing ring;

    PriorityLevel(int priority, boolean panic, HostSource all, HostSource healthy, HostSource degraded,
                  int[] localityIds, int[] localityWeights, double[] effectiveWeights, HostSource[] allByLocality,
                  HostSource[] healthyByLocality, HostSource[] degradedByLocality) {
        this.priority = priority;
        this.panic = panic;
        this.all = all;
        this.healthy = healthy;
        this.degraded = degraded;
        this.localityIds = localityIds;
        this.localityWeights = localityWeights;
        this.effectiveWeights = effectiveWeights;
        this.allByLocality = allByLocality;
        this.healthyByLocality = healthyByLocality;
        this.degradedByLocality = degradedByLocality;
    }
}
