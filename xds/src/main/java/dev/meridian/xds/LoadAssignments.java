package dev.meridian.xds;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.List;
import java.util.Map;

/** Stand-in for the translation contract (replaced by the xds-translate branch). */
public final class LoadAssignments {
    private LoadAssignments() {
    }

    public static Translated<LoadAssignment> fromEnvoy(ClusterLoadAssignment assignment) {
        EndpointTable.Builder table = EndpointTable.builder();
        for (LocalityLbEndpoints group : assignment.getEndpointsList()) {
            Locality locality = Locality.of(group.getLocality().getRegion(), group.getLocality().getZone(),
                    group.getLocality().getSubZone());
            int weight = group.hasLoadBalancingWeight() ? group.getLoadBalancingWeight().getValue() : 0;
            for (LbEndpoint e : group.getLbEndpointsList()) {
                var socket = e.getEndpoint().getAddress().getSocketAddress();
                if (socket.getPortValue() == 0) {
                    throw new IllegalArgumentException("cluster_load_assignment.endpoints.lb_endpoints.endpoint.address"
                            + ".socket_address.port_value: must be 1..65535, got 0");
                }
                HealthStatus health = e.getHealthStatus() == io.envoyproxy.envoy.config.core.v3.HealthStatus.UNHEALTHY
                        ? HealthStatus.UNHEALTHY : HealthStatus.HEALTHY;
                int endpointWeight = e.hasLoadBalancingWeight() ? e.getLoadBalancingWeight().getValue() : 1;
                table.add(new Endpoint(socket.getAddress(), socket.getPortValue(), locality, Map.of(), endpointWeight,
                        health, group.getPriority()), group.getPriority(), weight);
            }
        }
        int factor = assignment.getPolicy().hasOverprovisioningFactor()
                ? assignment.getPolicy().getOverprovisioningFactor().getValue()
                : LbConfig.DEFAULT_OVERPROVISIONING_FACTOR;
        return new Translated<>(new LoadAssignment(assignment.getClusterName(), table.build(), factor,
                assignment.getPolicy().getWeightedPriorityHealth()), List.of());
    }
}
