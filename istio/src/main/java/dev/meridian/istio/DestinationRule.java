package dev.meridian.istio;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An Istio {@code DestinationRule}, reduced to what decides endpoint choice and validated as Istio
 * validates it.
 *
 * <p>Immutable and thread-safe.
 *
 * @param apiVersion one of {@link #API_VERSIONS}
 * @param name {@code metadata.name}
 * @param namespace {@code metadata.namespace}; null when not written
 * @param host {@code spec.host}, a service name or a wildcard domain
 * @param trafficPolicy {@code spec.trafficPolicy}; null when not written
 * @param subsets {@code spec.subsets}, in the order written, names unique
 */
public record DestinationRule(String apiVersion, String name, String namespace, String host,
                              TrafficPolicy trafficPolicy, List<Subset> subsets) {

    /** The API versions Istio serves DestinationRule under; all three share one schema. */
    public static final List<String> API_VERSIONS = List.of(
            "networking.istio.io/v1alpha3", "networking.istio.io/v1beta1", "networking.istio.io/v1");

    public DestinationRule {
        if (!API_VERSIONS.contains(apiVersion)) {
            throw new IllegalArgumentException("apiVersion: expected one of " + API_VERSIONS + ", got "
                    + Values.describe(apiVersion));
        }
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("metadata.name: required, got " + Values.describe(name));
        }
        IstioChecks.host("spec.host", host);
        subsets = subsets == null ? List.of() : List.copyOf(subsets);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < subsets.size(); i++) {
            String subsetName = subsets.get(i).name();
            if (!seen.add(subsetName)) {
                throw new IllegalArgumentException("spec.subsets[" + i + "].name: duplicate subset name '"
                        + subsetName + "'");
            }
        }
    }

    /** The subset with this name, if the rule defines one. */
    public Optional<Subset> subset(String subsetName) {
        for (Subset s : subsets) {
            if (s.name().equals(subsetName)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /**
     * The policy Istio applies to traffic for a subset: the subset's blocks over the rule's, as
     * Istio's {@code MergeTrafficPolicy}, called by the cluster builder for each subset cluster
     * ({@code pilot/pkg/networking/core}), does.
     *
     * @param subsetName a subset name, or null for the service as a whole
     * @return the effective policy, or null when neither the rule nor the subset writes one
     * @throws IllegalArgumentException if the rule has no subset of that name
     */
    public TrafficPolicy policyFor(String subsetName) {
        return policyFor(subsetName, null);
    }

    /**
     * The policy Istio applies to traffic for a subset on one port: {@code portLevelSettings} for
     * the port first replace the policy they sit in, then the subset's blocks are laid over the
     * rule's ({@code MergeSubsetTrafficPolicy} in {@code pilot/pkg/networking/util/util.go}, called
     * by {@code buildSubsetCluster}; {@code applyDestinationRule} narrows the rule's policy with
     * {@code GetPortLevelTrafficPolicy}).
     *
     * @param subsetName a subset name, or null for the service as a whole
     * @param port the destination port the caller uses, or null when not known (port-level
     *        settings then do not apply)
     * @return the effective policy, or null when neither the rule nor the subset writes one
     * @throws IllegalArgumentException if the rule has no subset of that name
     */
    public TrafficPolicy policyFor(String subsetName, Integer port) {
        if (subsetName == null) {
            return trafficPolicy == null ? null : trafficPolicy.forPort(port);
        }
        Subset s = subset(subsetName).orElseThrow(() -> new IllegalArgumentException(
                "subset: no subset named '" + subsetName + "' in DestinationRule '" + name + "'"));
        if (trafficPolicy == null) {
            return s.trafficPolicy() == null ? null : s.trafficPolicy().forPort(port);
        }
        return trafficPolicy.overriddenBy(s.trafficPolicy(), port);
    }
}
