package dev.meridian.xds.server;

import dev.meridian.core.Endpoint;
import dev.meridian.istio.DestinationRule;
import dev.meridian.istio.KubernetesService;
import java.util.List;

/**
 * One port of one host a {@code ServiceEntry} declares, with its endpoints and the
 * {@code DestinationRule} that applies to the host: what istiod turns into the outbound cluster
 * {@link #clusterName()} and its subset clusters.
 *
 * <p>Immutable and thread-safe.
 *
 * @param host the host, as the ServiceEntry writes it
 * @param namespace the ServiceEntry's namespace; {@value MeshDirectory#DEFAULT_NAMESPACE} when not written
 * @param port the service port number
 * @param portName the service port name
 * @param endpoints the endpoints, at the port each is reached on, in Istio's order (inline endpoints as
 *        written, selected WorkloadEntries by namespace and name)
 * @param destinationRule the rule Istio applies to the host (the most specific host match, rules for
 *        one host merged), or null when none does
 * @param kubernetesService the ServiceEntry's labels and annotations as Istio reads them for a service
 *        (the traffic distribution annotation, the persistent-session label)
 * @param source the file (and document) that declares the ServiceEntry
 */
public record MeshService(String host, String namespace, int port, String portName, List<Endpoint> endpoints,
                          DestinationRule destinationRule, KubernetesService kubernetesService, String source) {

    /** @throws IllegalArgumentException naming the field when the host is blank or the endpoints null */
    public MeshService {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("meshService.host: must not be blank, got '" + host + "'");
        }
        if (endpoints == null) {
            throw new IllegalArgumentException("meshService.endpoints: must not be null (host " + host + ")");
        }
        endpoints = List.copyOf(endpoints);
        kubernetesService = kubernetesService == null ? KubernetesService.NONE : kubernetesService;
    }

    /** Istio's name for the service's outbound cluster: {@code outbound|PORT||HOST} ({@code model.BuildSubsetKey}). */
    public String clusterName() {
        return clusterName(null);
    }

    /** Istio's name for a subset's outbound cluster: {@code outbound|PORT|SUBSET|HOST}; the service's when null. */
    public String clusterName(String subset) {
        return "outbound|" + port + "|" + (subset == null ? "" : subset) + "|" + host;
    }
}
