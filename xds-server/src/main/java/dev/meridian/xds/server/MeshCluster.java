package dev.meridian.xds.server;

import dev.meridian.core.Endpoint;
import dev.meridian.istio.DestinationPolicy;
import java.util.List;

/**
 * One outbound cluster istiod would send every sidecar for a {@link MeshService}: the service's own,
 * or one of its DestinationRule's subsets, with the endpoints it selects and the policy that
 * decides their choice.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the cluster name, {@code outbound|PORT|SUBSET|HOST}
 * @param service the service it belongs to
 * @param subset the subset name, or null for the service's own cluster
 * @param endpoints the service's endpoints the subset's labels select (all of them without a subset)
 * @param policy the DestinationRule's policy for this subset and port under the mesh's locality
 *        setting and Istio release ({@link DestinationPolicy#from(dev.meridian.istio.DestinationRule,
 *        String, Integer, dev.meridian.topology.LocalityLbSetting, dev.meridian.core.IstioRelease)})
 */
public record MeshCluster(String name, MeshService service, String subset, List<Endpoint> endpoints,
                          DestinationPolicy policy) {

    /** @throws IllegalArgumentException naming the field when the name is blank or another field is null */
    public MeshCluster {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("meshCluster.name: must not be blank, got '" + name + "'");
        }
        if (service == null) {
            throw new IllegalArgumentException("meshCluster.service: must not be null (cluster " + name + ")");
        }
        if (endpoints == null) {
            throw new IllegalArgumentException("meshCluster.endpoints: must not be null (cluster " + name + ")");
        }
        if (policy == null) {
            throw new IllegalArgumentException("meshCluster.policy: must not be null (cluster " + name + ")");
        }
        endpoints = List.copyOf(endpoints);
    }
}
