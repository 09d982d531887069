package dev.meridian.lb;

/**
 * Zone-aware routing within a {@link LoadPlan}: the knobs that applied and the state Envoy's
 * {@code regenerateLocalityRoutingStructures} reached for priority 0. Immutable and thread-safe.
 *
 * @param state {@code NO_LOCALITY_ROUTING} (an early exit: too few localities, no local hosts, or
 *     fewer healthy upstream hosts than the minimum cluster size), {@code LOCALITY_DIRECT} (all
 *     zone-aware traffic stays in the caller's locality) or {@code LOCALITY_RESIDUAL} (part of it
 *     crosses to localities with spare capacity)
 * @param onlyWhenNoLocalityPicked true when locality weighting is on: zone-aware routing then applies
 *     only to picks where locality weighting picks no locality, with every knob at Envoy's default
 *     ({@code locality_weighted_lb_config} and {@code zone_aware_lb_config} are one {@code oneof})
 * @param minClusterSize {@code min_cluster_size} as applied
 * @param routingEnabledPercent {@code routing_enabled} as applied
 * @param forceLocalZoneMinSize {@code force_local_zone.min_size} as applied, or null when not set
 * @param localityBasis {@code locality_basis} as applied
 */
public record ZoneAwarePlan(String state, boolean onlyWhenNoLocalityPicked, int minClusterSize,
                            double routingEnabledPercent, Integer forceLocalZoneMinSize, String localityBasis) {
}
