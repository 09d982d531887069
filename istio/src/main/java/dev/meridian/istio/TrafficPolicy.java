package dev.meridian.istio;

/**
 * The parts of Istio's {@code TrafficPolicy} that decide which endpoint a request goes to.
 *
 * <p>{@code connectionPool}, {@code tls}, {@code tunnel}, {@code proxyProtocol} and
 * {@code portLevelSettings} are accepted by the reader and reported as ignored.
 *
 * <p>Immutable and thread-safe.
 *
 * @param loadBalancer the {@code loadBalancer} block; null when not written
 * @param outlierDetection the {@code outlierDetection} block; null when not written
 */
public record TrafficPolicy(LoadBalancerSettings loadBalancer, OutlierDetection outlierDetection) {

    /** True when an {@code outlierDetection} block is present, even an empty one. */
    public boolean hasOutlierDetection() {
        return outlierDetection != null;
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
        if (subsetPolicy == null) {
            return this;
        }
        return new TrafficPolicy(
                subsetPolicy.loadBalancer != null ? subsetPolicy.loadBalancer : loadBalancer,
                subsetPolicy.outlierDetection != null ? subsetPolicy.outlierDetection : outlierDetection);
    }
}
