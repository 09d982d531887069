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
 * @param forceLocalZoneMinSize Envoy's {@code force_local_zone.min_size}, or
 *     {@link ZoneAwareConfig#FORCE_LOCAL_ZONE_OFF} when {@code force_local_zone} is not set
 * @param localityBasis Envoy's {@code locality_basis}
 *
 * <p>Thread-safe.
 */
public record LocalCluster(EndpointTable endpoints, int minClusterSize, double routingEnabledPercent,
                           int forceLocalZoneMinSize, ZoneAwareConfig.LocalityBasis localityBasis) {

    /** A local cluster without {@code force_local_zone}, percentages by healthy host count. */
    public LocalCluster(EndpointTable endpoints, int minClusterSize, double routingEnabledPercent) {
        this(endpoints, minClusterSize, routingEnabledPercent, ZoneAwareConfig.FORCE_LOCAL_ZONE_OFF,
                ZoneAwareConfig.LocalityBasis.HEALTHY_HOSTS_NUM);
    }

    /** The zone-aware configuration for a caller at {@code callerLocality}. */
    ZoneAwareConfig zoneAware(Locality callerLocality) {
        ZoneAwareConfig.Builder b = ZoneAwareConfig.builder().localLocality(callerLocality).localCluster(endpoints)
                .minClusterSize(minClusterSize).routingEnabledPercent(routingEnabledPercent)
                .localityBasis(localityBasis);
        if (forceLocalZoneMinSize != ZoneAwareConfig.FORCE_LOCAL_ZONE_OFF) {
            b.forceLocalZone(forceLocalZoneMinSize);
        }
        return b.build();
    }
}
