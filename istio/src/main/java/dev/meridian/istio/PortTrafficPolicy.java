package dev.meridian.istio;

/**
 * One entry of a traffic policy's {@code portLevelSettings}: the policy for traffic to one port of
 * the destination. When the caller's port matches, Istio uses this entry <em>instead of</em> the
 * whole traffic policy around it: blocks the entry does not write fall back to their defaults,
 * they are not inherited ({@code pilot/pkg/networking/util/util.go} {@code GetPortLevelTrafficPolicy}
 * and {@code shadowCopyPortTrafficPolicy}, Istio 1.6 to 1.30 alike).
 *
 * <p>Immutable and thread-safe.
 *
 * @param port {@code port.number}, 1 to 65535
 * @param loadBalancer the entry's {@code loadBalancer}; null when not written
 * @param outlierDetection the entry's {@code outlierDetection}; null when not written
 */
public record PortTrafficPolicy(int port, LoadBalancerSettings loadBalancer, OutlierDetection outlierDetection) {

    public PortTrafficPolicy {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("portLevelSettings.port.number: must be 1..65535, got " + port);
        }
    }

    /** This entry as the whole traffic policy for its port. */
    public TrafficPolicy asPolicy() {
        return new TrafficPolicy(loadBalancer, outlierDetection);
    }
}
