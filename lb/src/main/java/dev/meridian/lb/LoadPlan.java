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
 */
public record LoadPlan(LbPolicy policy, int overprovisioningFactor, double panicThreshold,
                       List<PriorityPlan> priorities) {
    public LoadPlan {
        priorities = List.copyOf(priorities);
    }
}
