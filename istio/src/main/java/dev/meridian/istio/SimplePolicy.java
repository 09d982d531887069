package dev.meridian.istio;

/**
 * Istio's {@code LoadBalancerSettings.SimpleLB}: the load balancing algorithms that need no tuning.
 *
 * <p>Istio's deprecated {@code LEAST_CONN} is read as {@link #LEAST_REQUEST}, as Istio's cluster
 * builder does ({@code applyLoadBalancer} in {@code pilot/pkg/networking/core/cluster_traffic_policy.go}
 * handles both cases the same way), with a deprecation warning.
 *
 * <p>Immutable and thread-safe.
 */
public enum SimplePolicy {
    /** Written explicitly as {@code UNSPECIFIED}: Istio chooses its default algorithm. */
    UNSPECIFIED,
    /** Round robin over healthy hosts. */
    ROUND_ROBIN,
    /** Least outstanding requests (power of two choices); also what {@code LEAST_CONN} means. */
    LEAST_REQUEST,
    /** A random healthy host. */
    RANDOM,
    /** Forward to the original destination address, with no load balancing. */
    PASSTHROUGH
}
