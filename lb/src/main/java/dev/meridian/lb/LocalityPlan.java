package dev.meridian.lb;

import dev.meridian.core.Locality;
import java.util.List;

/**
 * One locality within a {@link PriorityPlan}. Immutable and thread-safe.
 *
 * @param localityId the interned locality id in the planned table
 * @param locality the locality
 * @param weight the configured locality weight (0 when none)
 * @param effectiveWeight Envoy's effective locality weight: weight scaled by the locality's
 *     availability, capped at the weight
 * @param share percent of all requests expected to reach this locality (for least request assuming no
 *     requests in flight, for the hash policies assuming uniformly distributed keys)
 * @param hosts the locality's hosts in this priority, in host-id order
 */
public record LocalityPlan(int localityId, Locality locality, int weight, double effectiveWeight, double share,
                           List<HostPlan> hosts) {
    public LocalityPlan {
        hosts = List.copyOf(hosts);
    }
}
