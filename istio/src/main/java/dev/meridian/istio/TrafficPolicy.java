package dev.meridian.istio;

import java.util.List;

/**
 * The parts of Istio's {@code TrafficPolicy} that decide which endpoint a request goes to.
 *
 * <p>{@code connectionPool}, {@code tls}, {@code tunnel} and {@code proxyProtocol} are accepted by
 * the reader and reported as ignored.
 *
 * <p>Immutable and thread-safe.
 *
 * @param loadBalancer the {@code loadBalancer} block; null when not written
 * @param outlierDetection the {@code outlierDetection} block; null when not written
 * @param portLevelSettings the {@code portLevelSettings} entries, in the order written; empty when none
 */
public record TrafficPolicy(LoadBalancerSettings loadBalancer, OutlierDetection outlierDetection,
                            List<PortTrafficPolicy> portLevelSettings) {

    public TrafficPolicy {
        portLevelSettings = portLevelSettings == null ? List.of() : List.copyOf(portLevelSettings);
    }

    /** A policy without port-level settings. */
    public TrafficPolicy(LoadBalancerSettings loadBalancer, OutlierDetection outlierDetection) {
        this(loadBalancer, outlierDetection, List.of());
    }

    /** True when an {@code outlierDetection} block is present, even an empty one. */
    public boolean hasOutlierDetection() {
        return outlierDetection != null;
    }

    /**
     * The first {@code portLevelSettings} entry for this port, or null. Istio takes the first match
     * ({@code GetPortLevelTrafficPolicy} breaks at it).
     */
    public PortTrafficPolicy portLevel(Integer port) {
        if (port == null) {
            return null;
        }
        for (PortTrafficPolicy p : portLevelSettings) {
            if (p.port() == port) {
                return p;
            }
        }
        return null;
    }

    /**
     * The policy for traffic to a port, as Istio's {@code GetPortLevelTrafficPolicy}
     * ({@code pilot/pkg/networking/util/util.go}): a matching {@code portLevelSettings} entry
     * replaces the whole policy (its {@code loadBalancer} and {@code outlierDetection} both, an
     * unwritten one meaning none); without a match, or without a port, this policy as it is.
     *
     * @param port the destination port the caller uses, or null when not known
     */
    public TrafficPolicy forPort(Integer port) {
        PortTrafficPolicy p = portLevel(port);
        return p == null ? this : p.asPolicy();
    }

    /**
     * This policy with a subset's policy laid over it, block by block: a subset's
     * {@code loadBalancer} or {@code outlierDetection} replaces the rule's whole block, and blocks the
     * subset does not write are inherited. This is Istio's {@code MergeTrafficPolicy}.
     *
     * @param subsetPolicy the subset's policy, or null
     * @return the merged policy; {@code this} when the subset has none
     */
    public TrafficPolicy overriddenBy(TrafficPolicy subsetPolicy) {
        return overriddenBy(subsetPolicy, null);
    }

    /**
     * As {@link #overriddenBy(TrafficPolicy)} for traffic to a port, as Istio's
     * {@code MergeSubsetTrafficPolicy} ({@code pilot/pkg/networking/util/util.go}) and
     * {@code MergeTrafficPolicy} ({@code pilot/pkg/model/destination_rule.go}) do: each side is first
     * narrowed to the port ({@link #forPort}); when the subset has an entry for the port, its
     * {@code loadBalancer} and {@code outlierDetection} replace the rule's even where unwritten.
     *
     * @param subsetPolicy the subset's policy, or null
     * @param port the destination port the caller uses, or null when not known
     */
    public TrafficPolicy overriddenBy(TrafficPolicy subsetPolicy, Integer port) {
        TrafficPolicy original = forPort(port);
        if (subsetPolicy == null) {
            return original;
        }
        boolean hasPortLevel = subsetPolicy.portLevel(port) != null;
        TrafficPolicy subset = subsetPolicy.forPort(port);
        return new TrafficPolicy(
                subset.loadBalancer != null || hasPortLevel ? subset.loadBalancer : original.loadBalancer,
                subset.outlierDetection != null || hasPortLevel ? subset.outlierDetection : original.outlierDetection,
                port == null ? original.portLevelSettings : List.of());
    }
}
