package dev.meridian.lb;

import java.util.List;

/**
 * What a {@link LoadBalancer} will do with its current snapshot: load per priority, per locality and
 * per host. Built on the cold path by {@link LoadBalancer#plan()}; immutable.
 *
 * @param policy the host selection policy
 * @param overprovisioningFactor the overprovisioning factor in percent
 * @param panicThreshold the panic threshold in percent (0 disables panic)
 * @param priorities one entry per priority level, in priority order
 */
public record LoadPlan(LbPolicy policy, int overprovisioningFactor, double panicThreshold,
                       List<PriorityPlan> priorities) {
    public LoadPlan {
        priorities = List.copyOf(priorities);
    }
}
