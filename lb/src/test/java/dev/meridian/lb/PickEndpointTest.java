package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PickEndpointTest {

    private static Endpoint ep(String address, HealthStatus health) {
        return Endpoint.parseAddress(address, Locality.parse("r1/z1"), Map.of(), 1, health, Endpoint.NO_PRIORITY);
    }

    @Test
    void returnsTheTablesOwnEndpointObjects() {
        EndpointTable table = EndpointTable.of(List.of(ep("a:1", HealthStatus.HEALTHY), ep("b:1", HealthStatus.HEALTHY)));
        LoadBalancer lb = LoadBalancer.create(LbConfig.defaults(), table, RandomSource.seeded(1), Clocks.manual());
        for (int i = 0; i < 10; i++) {
            Endpoint e = lb.pickEndpoint();
            assertThat(e).isSameAs(table.endpoint(table.idOf(e)));
            assertThat(lb.pickEndpoint(i)).isIn(table.endpoints());
        }
    }

    @Test
    void nullWhenNothingCanBePicked() {
        LoadBalancer empty = LoadBalancer.create(LbConfig.defaults(), EndpointTable.empty(), RandomSource.seeded(1),
                Clocks.manual());
        assertThat(empty.pickEndpoint()).isNull();
        // Panic disabled and every host unhealthy: Envoy picks nothing (load_balancer_impl.cc,
        // recalculatePerPriorityPanic with threshold 0).
        EndpointTable sick = EndpointTable.of(List.of(ep("a:1", HealthStatus.UNHEALTHY)));
        LoadBalancer none = LoadBalancer.create(LbConfig.builder().panicThreshold(0).build(), sick,
                RandomSource.seeded(1), Clocks.manual());
        assertThat(none.pickEndpoint()).isNull();
        assertThat(none.pickEndpoint(42)).isNull();
    }
}
