package dev.meridian.topology;

import dev.meridian.core.Endpoint;
import dev.meridian.core.Locality;
import java.util.List;

/**
 * The endpoints of one locality within one priority: Envoy's {@code LocalityLbEndpoints}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param locality the locality the endpoints share
 * @param weight the locality's {@code load_balancing_weight}: the sum of its endpoints' weights, as
 *     Istio sets it, or the weight a {@code distribute} rule gave it; Envoy reads it only when
 *     {@link PriorityAssignment#localityWeighted()} is on
 * @param endpoints the endpoints, in input order, never empty
 */
public record LocalityGroup(Locality locality, int weight, List<Endpoint> endpoints) {

    public LocalityGroup {
        if (locality == null) {
            throw new IllegalArgumentException("localityGroup.locality: must not be null");
        }
        if (weight < 0) {
            throw new IllegalArgumentException("localityGroup[" + locality + "].weight: must be >= 0, got " + weight);
        }
        if (endpoints == null || endpoints.isEmpty()) {
            throw new IllegalArgumentException("localityGroup[" + locality + "].endpoints: must not be empty, got "
                    + endpoints);
        }
        endpoints = List.copyOf(endpoints);
    }

    /** Number of endpoints in the group. */
    public int hostCount() {
        return endpoints.size();
    }
}
