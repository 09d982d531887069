package dev.meridian.grpc;

import dev.meridian.core.Endpoint;
import dev.meridian.core.IstioRelease;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.DestinationRule;
import dev.meridian.istio.KubernetesService;
import java.util.List;
import java.util.Map;

/**
 * One service as a {@link MeridianSource} knows it: its endpoints (with locality, labels, weight,
 * reported health and, when the source already assigned them, Envoy priorities) and the policy that
 * decides their choice. Either Istio-level (endpoints and a {@link DestinationPolicy}, from which
 * {@code meridian_locality} computes Istio's priorities for the channel's caller), or
 * {@linkplain #decided() decided} by the source (a control plane's cluster: priorities, locality weights,
 * balancing and outlier detection, applied as they are).
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the destination's name, an Istio cluster name where there is one
 * @param endpoints the endpoints, in the source's order; empty when the service has none
 * @param policy the destination's policy as Istio would build it, or null for Istio's defaults
 * @param kubernetesService the destination as a Kubernetes Service; {@link KubernetesService#NONE} when null
 * @param release the Istio release whose rules apply; {@link IstioRelease#LATEST} when null
 * @param destinationRules the DestinationRules the source knows, by host (what a service config may
 *     name by host); empty when null
 * @param decided what the source already decided, applied as is; null to let {@code meridian_locality}
 *     decide from the endpoints and the policy. When set, {@code endpoints} are its table's (null or
 *     empty is read as those)
 */
public record ResolvedService(String name, List<Endpoint> endpoints, DestinationPolicy policy,
                              KubernetesService kubernetesService, IstioRelease release,
                              Map<String, DestinationRule> destinationRules, DecidedBalancing decided) {

    /**
     * @throws IllegalArgumentException when the name is blank, or {@code endpoints} are given and are
     *     not the decided table's
     */
    public ResolvedService {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: must not be blank, got '" + name + "'");
        }
        if (decided != null) {
            List<Endpoint> table = decided.table().endpoints();
            if (endpoints != null && !endpoints.isEmpty() && !endpoints.equals(table)) {
                throw new IllegalArgumentException("endpoints: must be the decided table's (" + table.size()
                        + " endpoints) or none, got " + endpoints.size() + " others (service " + name + ")");
            }
            endpoints = table;
        }
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        kubernetesService = kubernetesService == null ? KubernetesService.NONE : kubernetesService;
        release = release == null ? IstioRelease.LATEST : release;
        destinationRules = destinationRules == null ? Map.of() : Map.copyOf(destinationRules);
    }

    /** An Istio-level service: Meridian decides from the endpoints and the policy. */
    public ResolvedService(String name, List<Endpoint> endpoints, DestinationPolicy policy,
                           KubernetesService kubernetesService, IstioRelease release,
                           Map<String, DestinationRule> destinationRules) {
        this(name, endpoints, policy, kubernetesService, release, destinationRules, null);
    }

    /**
     * A service whose balancing the source decided, applied as it is.
     *
     * @throws IllegalArgumentException when the name is blank or {@code decided} null
     */
    public static ResolvedService ofDecided(String name, DecidedBalancing decided) {
        if (decided == null) {
            throw new IllegalArgumentException("decided: must not be null (service " + name + ")");
        }
        return new ResolvedService(name, null, null, null, null, null, decided);
    }
}
