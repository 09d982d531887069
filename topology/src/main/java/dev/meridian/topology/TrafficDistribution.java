package dev.meridian.topology;

import dev.meridian.core.IstioRelease;
import java.util.List;

/**
 * A Kubernetes Service's {@code spec.trafficDistribution} (or Istio's
 * {@code networking.istio.io/traffic-distribution} annotation), as Istio and kube-proxy act on it.
 *
 * <p>Istio turns a preference into a forced {@code failoverPriority} ({@link #failoverPriority}),
 * applied even without outlier detection; kube-proxy reads the hints the EndpointSlice controller
 * writes from it ({@link KubeProxyRouting}).
 *
 * <p>Immutable and thread-safe.
 */
public enum TrafficDistribution {
    /** No preference: Kubernetes' default, any endpoint in the cluster. */
    ANY("Any"),
    /** {@code PreferClose}: Kubernetes' older name for {@link #PREFER_SAME_ZONE}. */
    PREFER_CLOSE("PreferClose"),
    /** {@code PreferSameZone} (Kubernetes 1.33). */
    PREFER_SAME_ZONE("PreferSameZone"),
    /** {@code PreferSameNode} (Kubernetes 1.33). */
    PREFER_SAME_NODE("PreferSameNode");

    /** Istio's network label ({@code label.TopologyNetwork}), which Istio adds to proxy and endpoint labels. */
    public static final String LABEL_NETWORK = "topology.istio.io/network";
    /** The node name label Istio adds to proxy and endpoint labels ({@code AugmentLabels}); kube-proxy's node. */
    public static final String LABEL_HOSTNAME = "kubernetes.io/hostname";

    private final String kubernetesName;

    TrafficDistribution(String kubernetesName) {
        this.kubernetesName = kubernetesName;
    }

    /** The value as Kubernetes spells it. */
    public String kubernetesName() {
        return kubernetesName;
    }

    /** Whether the service asks for a preference at all. */
    public boolean prefers() {
        return this != ANY;
    }

    /**
     * The {@code failoverPriority} Istio forces for this traffic distribution in the given release,
     * or an empty list when that release ignores it. istio/istio
     * {@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go} {@code GetLocalityLbSetting}:
     * <ul>
     *   <li>1.30 (and 1.27 on, pull request 56042): {@code PreferClose} and {@code PreferSameZone} give
     *       [network, region, zone]; {@code PreferSameNode} adds subzone and hostname.</li>
     *   <li>1.25 and 1.26 (pull requests 54715 and 55046; 1.25.0 already carries the network-first
     *       list): only {@code PreferClose} is known and gives [network, region, zone, subzone]; the
     *       1.33 values are treated as no preference ({@code GetTrafficDistribution}).</li>
     *   <li>Before 1.25 Istio does not read the field.</li>
     * </ul>
     */
    public List<String> failoverPriority(IstioRelease release) {
        if (this == ANY || !release.atLeast(25)) {
            return List.of();
        }
        if (!release.atLeast(27)) {
            return this == PREFER_CLOSE
                    ? List.of(LABEL_NETWORK, LocalityPriorities.LABEL_REGION, LocalityPriorities.LABEL_ZONE,
                            LocalityPriorities.LABEL_SUBZONE)
                    : List.of();
        }
        return this == PREFER_SAME_NODE
                ? List.of(LABEL_NETWORK, LocalityPriorities.LABEL_REGION, LocalityPriorities.LABEL_ZONE,
                        LocalityPriorities.LABEL_SUBZONE, LABEL_HOSTNAME)
                : List.of(LABEL_NETWORK, LocalityPriorities.LABEL_REGION, LocalityPriorities.LABEL_ZONE);
    }

    /**
     * Parses a Kubernetes {@code spec.trafficDistribution} value; null gives {@link #ANY}.
     *
     * @throws IllegalArgumentException naming the field and the value when it is not one of
     *     {@code PreferClose}, {@code PreferSameZone}, {@code PreferSameNode} (Kubernetes' API validation
     *     refuses other values)
     */
    public static TrafficDistribution parse(String field, String value) {
        if (value == null) {
            return ANY;
        }
        for (TrafficDistribution t : values()) {
            if (t != ANY && t.kubernetesName.equals(value.strip())) {
                return t;
            }
        }
        throw new IllegalArgumentException(field + ": must be PreferClose, PreferSameZone or PreferSameNode, got '"
                + value + "'");
    }
}
