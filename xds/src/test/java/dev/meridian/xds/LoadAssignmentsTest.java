package dev.meridian.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UInt32Value;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadAssignmentsTest {

    static LbEndpoint lb(String ip, int port) {
        return LbEndpoint.newBuilder().setEndpoint(io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
                        .setAddress(ip).setPortValue(port)))).build();
    }

    static io.envoyproxy.envoy.config.core.v3.Locality loc(String region, String zone) {
        return io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion(region).setZone(zone).build();
    }

    @Test
    void readsPrioritiesLocalitiesWeightsAndHealth() {
        ClusterLoadAssignment cla = ClusterLoadAssignment.newBuilder()
                .setClusterName("outbound|80||reviews.default.svc.cluster.local")
                .addEndpoints(LocalityLbEndpoints.newBuilder().setLocality(loc("us-east1", "us-east1-b"))
                        .setLoadBalancingWeight(UInt32Value.of(3))
                        .addLbEndpoints(lb("10.0.0.1", 9080))
                        .addLbEndpoints(lb("10.0.0.2", 9080).toBuilder()
                                .setHealthStatus(io.envoyproxy.envoy.config.core.v3.HealthStatus.DEGRADED)
                                .setLoadBalancingWeight(UInt32Value.of(5))))
                .addEndpoints(LocalityLbEndpoints.newBuilder().setLocality(loc("us-west1", "us-west1-a"))
                        .setPriority(1)
                        .addLbEndpoints(lb("10.0.1.1", 9080).toBuilder()
                                .setHealthStatus(io.envoyproxy.envoy.config.core.v3.HealthStatus.UNHEALTHY)))
                .setPolicy(ClusterLoadAssignment.Policy.newBuilder()
                        .setOverprovisioningFactor(UInt32Value.of(200)).setWeightedPriorityHealth(true))
                .build();

        Translated<LoadAssignment> t = LoadAssignments.fromEnvoy(cla);

        LoadAssignment a = t.value();
        assertThat(t.warnings()).isEmpty();
        assertThat(a.overprovisioningFactor()).isEqualTo(200);
        assertThat(a.weightedPriorityHealth()).isTrue();
        EndpointTable table = a.table();
        assertThat(table.size()).isEqualTo(3);
        assertThat(table.priorityCount()).isEqualTo(2);
        assertThat(table.endpoint(0).locality()).isEqualTo(Locality.of("us-east1", "us-east1-b", ""));
        assertThat(table.weight(0)).isEqualTo(1);  // unset weight reads 1 (HostImpl: max(1, 0))
        assertThat(table.weight(1)).isEqualTo(5);
        assertThat(table.health(1)).isEqualTo(HealthStatus.DEGRADED);
        assertThat(table.localityWeight(0)).isEqualTo(3);
        assertThat(table.priority(2)).isEqualTo(1);
        assertThat(table.localityWeight(2)).isZero();  // no weight given: 0, as Envoy's locality weights map
        assertThat(table.health(2)).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(a.applyTo(LbConfig.defaults()).overprovisioningFactor()).isEqualTo(200);
    }

    @Test
    void roundTripsThroughEnvoy() {
        EndpointTable table = EndpointTable.builder()
                .add(new Endpoint("10.0.0.1", 80, Locality.parse("r/z1"), Map.of("version", "v1"), 2,
                        HealthStatus.HEALTHY, Endpoint.NO_PRIORITY), 0, 7)
                .add(new Endpoint("10.0.0.2", 80, Locality.parse("r/z2"), Map.of(), 1, HealthStatus.DRAINING,
                        Endpoint.NO_PRIORITY), 2, 0)
                .add(Endpoint.of("10.0.0.3:80", Locality.UNKNOWN), 2, 4)
                .build();
        LoadAssignment a = new LoadAssignment("c", table, 150, false);

        Translated<LoadAssignment> back = LoadAssignments.fromEnvoy(LoadAssignments.toEnvoy(a));

        assertThat(back.warnings()).isEmpty();
        assertThat(back.value()).isEqualTo(a);
    }

    @Test
    void portZeroIsRejectedNamingTheField() {
        ClusterLoadAssignment cla = ClusterLoadAssignment.newBuilder().setClusterName("c")
                .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(lb("10.0.0.1", 80)))
                .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(lb("10.0.0.2", 80)))
                .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(lb("10.0.0.3", 0)))
                .build();

        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(cla))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cluster_load_assignment.endpoints[2].lb_endpoints[0].endpoint.address.socket_address"
                        + ".port_value: must be 1..65535, got '0'");
    }
}
