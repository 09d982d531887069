package dev.meridian.xds;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;

/** Envoy v3 resources as istiod would send them for the tests' destinations. */
final class EnvoyResources {

    private EnvoyResources() {
    }

    /** An EDS cluster over ADS, round robin, whose endpoints come from the EDS resource {@code serviceName}. */
    static Cluster edsCluster(String name, String serviceName) {
        return Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
                        .setServiceName(serviceName)
                        .setEdsConfig(ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .build();
    }

    /** One locality's healthy endpoints at a priority, weight 1 each, locality weight 1. */
    static LocalityLbEndpoints locality(String region, String zone, int priority, String... addresses) {
        LocalityLbEndpoints.Builder group = LocalityLbEndpoints.newBuilder()
                .setLocality(Locality.newBuilder().setRegion(region).setZone(zone))
                .setPriority(priority)
                .setLoadBalancingWeight(UInt32Value.of(1));
        for (String address : addresses) {
            int colon = address.lastIndexOf(':');
            group.addLbEndpoints(LbEndpoint.newBuilder()
                    .setHealthStatus(HealthStatus.HEALTHY)
                    .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder().setSocketAddress(
                            SocketAddress.newBuilder()
                                    .setAddress(address.substring(0, colon))
                                    .setPortValue(Integer.parseInt(address.substring(colon + 1)))))));
        }
        return group.build();
    }

    static ClusterLoadAssignment assignment(String clusterName, LocalityLbEndpoints... localities) {
        ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
        for (LocalityLbEndpoints l : localities) {
            cla.addEndpoints(l);
        }
        return cla.build();
    }
}
