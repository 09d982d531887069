package dev.meridian.lb;

import java.util.List;

/**
 * What a destination's published snapshot will do: load per priority, per locality and per host.
 * Built on the cold path ({@code Cluster.plan()}); immutable and thread-safe.
 *
 * @param policy the host selection policy
 * @param overprovisioningFactor the overprovisioning factor in percent
 * @param panicThreshold the panic threshold in percent as applied: the configured value rounded to an
 *     integer, as Envoy rounds {@code healthy_panic_threshold} (0 disables panic)
 * @param priorities one entry per priority level, in priority order
 * @param envoyRelease the minor version of the Envoy release whose rules apply (Envoy 1.x)
 * @param drainingExcluded whether hosts reported DRAINING are excluded (Envoy 1.30 and later)
 * @param weightedPriorityHealth whether priority health is by host weight ({@code weighted_priority_health})
 * @param activeRequestBias least request's {@code active_request_bias}
 * @param zoneAware zone-aware routing as applied, or null when no local cluster is configured
 * @param spill capacity-aware spill-over and the state the locality and host shares include, or null
 *     when it is not configured
 */
public record LoadPlan(LbPolicy policy, int overprovisioningFactor, double panicThreshold,
                       List<PriorityPlan> priorities, int envoyRelease, boolean drainingExcluded,
                       boolean weightedPriorityHealth, double activeRequestBias, ZoneAwarePlan zoneAware,
                       SpillPlan spill) {
    public LoadPlan {
        priorities = List.copyOf(priorities);
    }

    /** A plan without spill-over. */
    public LoadPlan(LbPolicy policy, int overprovisioningFactor, double panicThreshold, List<PriorityPlan> priorities,
                    int envoyRelease, boolean drainingExcluded, boolean weightedPriorityHealth,
                    double activeRequestBias, ZoneAwarePlan zoneAware) {
        this(policy, overprovisioningFactor, panicThreshold, priorities, envoyRelease, drainingExcluded,
                weightedPriorityHealth, activeRequestBias, zoneAware, null);
    }
}
