package dev.meridian.simulator;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.lb.ZoneAwareConfig;

/**
 * The caller's own cluster ({@code localCluster:} in a scenario), which turns on Envoy's zone-aware
 * routing: Envoy compares how the caller's service and the destination spread over zones and keeps
 * as much traffic local as the destination's local capacity allows. Istio does not configure this;
 * an Envoy user does, with {@code cluster_manager.local_cluster_name} and the cluster's
 * {@code zone_aware_lb_config}. Immutable.
 *
 * @param endpoints the caller's service's endpoints (their localities and health are what count)
 * @param minClusterSize Envoy's {@code min_cluster_size}
 * @param routingEnabledPercent Envoy's {@code routing_enabled}
 *
 * <p>Thread-safe.
 */
public record LocalCluster(EndpointTable endpoints, int minClusterSize, double routingEnabledPercent) {

    /** The zone-aware configuration for a caller at {@code callerLocality}. */
    ZoneAwareConfig zoneAware(Locality callerLocality) {
        return ZoneAwareConfig.builder().localLocality(callerLocality).localCluster(endpoints)
                .minClusterSize(minClusterSize).routingEnabledPercent(routingEnabledPercent).build();
    }
}
