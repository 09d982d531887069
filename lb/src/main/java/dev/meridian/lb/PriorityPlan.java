package dev.meridian.lb;

import java.util.List;

/**
 * One priority level within a {@link LoadPlan}. Immutable and thread-safe.
 *
 * @param priority the priority (0 is the highest)
 * @param hosts number of hosts at this priority, excluded ones included
 * @param excluded number of hosts Envoy excludes (reported DRAINING, from Envoy 1.30): left out of
 *     the host count behind priority health, panic and effective locality weight
 * @param healthy number of hosts that take traffic as healthy (reported healthy and not ejected)
 * @param degraded number of hosts that are degraded and not ejected
 * @param healthyLoad integer percent of requests sent to this priority's healthy hosts
 * @param degradedLoad integer percent of requests sent to this priority's degraded hosts
 * @param panic true when this priority is in panic and balances over all of its hosts
 * @param localities the priority's localities, in locality-id order
 */
public record PriorityPlan(int priority, int hosts, int excluded, int healthy, int degraded, int healthyLoad,
                           int degradedLoad, boolean panic, List<LocalityPlan> localities) {
    public PriorityPlan {
        localities = List.copyOf(localities);
    }
}
