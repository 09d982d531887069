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
 * decides their choice.
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
 */
public record ResolvedService(String name, List<Endpoint> endpoints, DestinationPolicy policy,
                              KubernetesService kubernetesService, IstioRelease release,
                              Map<String, DestinationRule> destinationRules) {

    public ResolvedService {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: must not be blank, got '" + name + "'");
        }
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        kubernetesService = kubernetesService == null ? KubernetesService.NONE : kubernetesService;
        release = release == null ? IstioRelease.LATEST : release;
        destinationRules = destinationRules == null ? Map.of() : Map.copyOf(destinationRules);
    }
}
