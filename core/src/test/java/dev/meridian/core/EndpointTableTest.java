package dev.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EndpointTableTest {

    private static Endpoint ep(String address, String locality) {
        return Endpoint.of(address, Locality.parse(locality));
    }

    @Test
    void internsLocalitiesAndKeepsHostIdOrder() {
        EndpointTable t = EndpointTable.of(List.of(ep("10.0.0.1:80", "r1/z1"), ep("10.0.0.2:80", "r1/z2"),
                ep("10.0.0.3:80", "r1/z1")));
        assertThat(t.size()).isEqualTo(3);
        assertThat(t.localityCount()).isEqualTo(2);
        assertThat(t.localityId(0)).isEqualTo(t.localityId(2)).isNotEqualTo(t.localityId(1));
        assertThat(t.locality(t.localityId(1))).isEqualTo(Locality.of("r1", "z2", ""));
        assertThat(t.indexOf("10.0.0.3:80")).isEqualTo(2);
        assertThat(t.indexOf("10.0.0.9:80")).isEqualTo(-1);
        assertThat(t.priorityCount()).isEqualTo(1);
    }

    @Test
    void rejectsDuplicateAddressNamingBothPositions() {
        assertThatThrownBy(() -> EndpointTable.of(List.of(ep("a:1", "r1"), ep("b:1", "r1"), ep("a:1", "r2"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("endpoints[2].address: duplicate 'a:1' (also endpoints[0])");
    }

    @Test
    void rejectsConflictingLocalityWeightsInOnePriority() {
        EndpointTable.Builder b = EndpointTable.builder()
                .add(ep("a:1", "r1/z1"), 0, 10)
                .add(ep("b:1", "r1/z1"), 0, 20);
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("localityWeight").hasMessageContaining("20");
    }

    @Test
    void sameLocalityMayHaveDifferentWeightsInDifferentPriorities() {
        EndpointTable t = EndpointTable.builder().add(ep("a:1", "r1/z1"), 0, 10).add(ep("b:1", "r1/z1"), 2, 20).build();
        assertThat(t.priorityCount()).isEqualTo(3);
        assertThat(t.localityWeight(1)).isEqualTo(20);
    }

    @Test
    void endpointValidationNamesFieldAndValue() {
        assertThatThrownBy(() -> Endpoint.parseAddress("host:0", Locality.UNKNOWN, Map.of(), 1, HealthStatus.HEALTHY, -1))
                .hasMessageContaining("port").hasMessageContaining("0");
        assertThatThrownBy(() -> Endpoint.parseAddress("host", Locality.UNKNOWN, Map.of(), 1, HealthStatus.HEALTHY, -1))
                .hasMessage("endpoint.address: must be host:port, got 'host'");
        assertThatThrownBy(() -> Endpoint.parseAddress("host:80", Locality.UNKNOWN, Map.of(), 0, HealthStatus.HEALTHY, -1))
                .hasMessage("endpoint.weight: must be 1..1000000 (endpoint host:80), got '0'");
        assertThatThrownBy(() -> Endpoint.parseAddress("host:x", Locality.UNKNOWN, Map.of(), 1, HealthStatus.HEALTHY, -1))
                .hasMessageContaining("'host:x'");
        assertThatThrownBy(() -> HealthStatus.parse("endpoints[0].health", "SICK"))
                .hasMessageContaining("endpoints[0].health").hasMessageContaining("'SICK'");
    }

    @Test
    void ipv6AddressesRoundTrip() {
        Endpoint e = Endpoint.parseAddress("[fd00::1]:9080", Locality.UNKNOWN, Map.of(), 1, HealthStatus.HEALTHY, -1);
        assertThat(e.host()).isEqualTo("fd00::1");
        assertThat(e.address()).isEqualTo("[fd00::1]:9080");
    }

    @Test
    void healthMeaningFollowsEnvoy() {
        // envoy/config/core/v3/health_check.proto: UNKNOWN and HEALTHY are load balanced to as healthy.
        assertThat(HealthStatus.UNKNOWN.isHealthy()).isTrue();
        assertThat(HealthStatus.HEALTHY.isHealthy()).isTrue();
        assertThat(HealthStatus.DEGRADED.isHealthy()).isFalse();
        assertThat(HealthStatus.DEGRADED.isDegraded()).isTrue();
        for (HealthStatus s : List.of(HealthStatus.UNHEALTHY, HealthStatus.DRAINING, HealthStatus.TIMEOUT)) {
            assertThat(s.isHealthy()).isFalse();
            assertThat(s.isDegraded()).isFalse();
        }
    }

    @Test
    void withHealthCopiesEverythingElse() {
        EndpointTable t = EndpointTable.builder().add(ep("a:1", "r1/z1"), 1, 5).add(ep("b:1", "r2"), 0, 0).build();
        EndpointTable u = t.withHealth(0, HealthStatus.UNHEALTHY);
        assertThat(u.health(0)).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(t.health(0)).isEqualTo(HealthStatus.HEALTHY);
        assertThat(u.priority(0)).isEqualTo(1);
        assertThat(u.localityWeight(0)).isEqualTo(5);
    }

    @Test
    void idOfMatchesByAddressAtTheSamePositionOrAnywhere() {
        EndpointTable old = EndpointTable.of(List.of(ep("a:1", "r1"), ep("b:1", "r1"), ep("c:1", "r2")));
        EndpointTable same = EndpointTable.of(List.of(ep("a:1", "r1"), ep("b:1", "r1").withHealth(HealthStatus.UNHEALTHY),
                ep("c:1", "r2")));
        EndpointTable shuffled = EndpointTable.of(List.of(ep("c:1", "r2"), ep("d:1", "r1"), ep("a:1", "r1")));
        assertThat(old.idOf(same, 1)).isEqualTo(1);
        assertThat(old.idOf(shuffled, 0)).isEqualTo(2);
        assertThat(old.idOf(shuffled, 1)).isEqualTo(-1);
        assertThat(old.idOf(shuffled, 2)).isZero();
        assertThat(shuffled.idOf(old, 1)).isEqualTo(-1);
        assertThat(old.address(2)).isEqualTo("c:1");
    }
}
