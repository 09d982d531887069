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
    /** The hosts Envoy excludes at this priority (reported DRAINING, from Envoy 1.30), ascending. */
    final int[] excludedHosts;
    /** Per locality index: how many of its hosts are excluded. */
    final int[] excludedByLocality;
    /** The consistent-hash table; null unless the policy hashes. */
    HashRing ring;
    /**
     * Priority 0 only: Envoy's zone-aware routing state as computed, even when locality weighting
     * comes first; null when zone-aware routing is off or exits early (NoLocalityRouting).
     */
    Route.ZoneRoute zone;

    PriorityLevel(int priority, boolean panic, HostSource all, HostSource healthy, HostSource degraded,
                  int[] localityIds, int[] localityWeights, double[] effectiveWeights, HostSource[] allByLocality,
                  HostSource[] healthyByLocality, HostSource[] degradedByLocality, int[] excludedHosts,
                  int[] excludedByLocality) {
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
        this.excludedHosts = excludedHosts;
        this.excludedByLocality = excludedByLocality;
    }
}
