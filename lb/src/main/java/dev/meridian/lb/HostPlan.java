package dev.meridian.lb;

/**
 * One host in a {@link LoadPlan}. Immutable and thread-safe.
 *
 * @param hostId the host id in the planned table
 * @param share percent of all requests expected to reach this host, or null when the policy has no
 *     closed form (least request, ring hash, Maglev)
 * @param ejected true when the host is ejected by outlier detection
 * @param excluded true when Envoy excludes the host (reported DRAINING, from Envoy 1.30)
 */
public record HostPlan(int hostId, Double share, boolean ejected, boolean excluded) {
}
