package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Ring hash and Maglev against the expectations in Envoy's own tests
 * ({@code test/extensions/load_balancing_policies/ring_hash/ring_hash_lb_test.cc} and
 * {@code test/extensions/load_balancing_policies/maglev/maglev_lb_test.cc}), which pin the
 * implementation in {@code ring_hash_lb.cc}, {@code maglev_lb.cc} and {@code thread_aware_lb_impl.cc}.
 */
class HashPolicyConformanceTest {

    private static Endpoint host(int port, HealthStatus health, int weight) {
        return new Endpoint("127.0.0.1", port, Locality.UNKNOWN, Map.of(), weight, health, Endpoint.NO_PRIORITY);
    }

    private static EndpointTable ports(int from, int to, HealthStatus health) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int p = from; p <= to; p++) {
            b.add(host(p, health, 1));
        }
        return b.build();
    }

    @Test
    @DisplayName("ring_hash_lb_test Basic: six hosts, minimum ring size 12, Ketama lookup with wrap-around")
    void ringBasic() {
        LbConfig config = LbConfig.builder().policy(LbPolicy.RING_HASH).ringHashMinimumSize(12).build();
        LoadBalancer lb = Tables.balancer(config, ports(90, 95, HealthStatus.HEALTHY));
        assertThat(lb.pick(0)).isEqualTo(4);
        assertThat(lb.pick(-1L)).isEqualTo(4);
        assertThat(lb.pick(3551244743356806947L)).isEqualTo(5);
        assertThat(lb.pick(3551244743356806948L)).isEqualTo(3);
        assertThat(lb.pick(Long.parseUnsignedLong("16117243373044804880"))).isEqualTo(0);
        // Twelve points, two per host: each host owns a positive share of the hash space.
        assertThat(lb.plan().priorities().get(0).localities().get(0).share()).isEqualTo(100.0, within());

        LoadBalancer panic = Tables.balancer(config, ports(90, 95, HealthStatus.UNHEALTHY));
        assertThat(panic.pick(0)).isEqualTo(4);
        assertThat(panic.plan().priorities().get(0).panic()).isTrue();
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-9);
    }

    @Test
    @DisplayName("ring_hash_lb_test BasicFailover: the hash chooses the priority (P0 70%, P1 30%)")
    void ringFailover() {
        EndpointTable table = EndpointTable.builder()
                .add(host(80, HealthStatus.HEALTHY, 1), 0, 0)
                .add(host(81, HealthStatus.UNHEALTHY, 1), 0, 0)
                .add(host(82, HealthStatus.HEALTHY, 1), 1, 0)
                .build();
        LoadBalancer lb = Tables.balancer(LbConfig.builder().policy(LbPolicy.RING_HASH).ringHashMinimumSize(12)
                .build(), table);
        assertThat(lb.pick(69)).isEqualTo(0);
        assertThat(lb.pick(71)).isEqualTo(2);
    }

    @Test
    @DisplayName("maglev_lb_test Basic: table size 7")
    void maglevBasic() {
        LoadBalancer lb = Tables.balancer(LbConfig.builder().policy(LbPolicy.MAGLEV).maglevTableSize(7).build(),
                ports(90, 95, HealthStatus.HEALTHY));
        int[] expected = {2, 4, 0, 1, 5, 0, 3};
        for (int i = 0; i < 3 * expected.length; i++) {
            assertThat(lb.pick(i)).as("hash %d", i).isEqualTo(expected[i % expected.length]);
        }
    }

    @Test
    @DisplayName("maglev_lb_test Weighted: weights 1 and 2, table size 17")
    void maglevWeighted() {
        EndpointTable table = EndpointTable.builder()
                .add(host(90, HealthStatus.HEALTHY, 1)).add(host(91, HealthStatus.HEALTHY, 2)).build();
        LoadBalancer lb = Tables.balancer(LbConfig.builder().policy(LbPolicy.MAGLEV).maglevTableSize(17).build(),
                table);
        int[] expected = {1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1};
        for (int i = 0; i < expected.length; i++) {
            assertThat(lb.pick(i)).as("hash %d", i).isEqualTo(expected[i]);
        }
        int heavy = 0;
        for (int i = 0; i < 17; i++) {
            heavy += lb.pick(i);
        }
        assertThat(heavy).isEqualTo(11);
    }

    @Test
    @DisplayName("maglev_lb.cc: removing one host moves only the keys that host owned, mostly")
    void maglevConsistency() {
        EndpointTable all = ports(1000, 1019, HealthStatus.HEALTHY);
        LbConfig config = LbConfig.builder().policy(LbPolicy.MAGLEV).build();
        LoadBalancer lb = Tables.balancer(config, all);
        int[] before = new int[5000];
        for (int k = 0; k < before.length; k++) {
            before[k] = lb.pick(k * 0x9E3779B97F4A7C15L);
        }
        EndpointTable.Builder fewer = EndpointTable.builder();
        for (int h = 0; h < all.size(); h++) {
            if (h != 7) {
                fewer.add(all.endpoint(h));
            }
        }
        lb.update(fewer.build());
        int moved = 0;
        for (int k = 0; k < before.length; k++) {
            String was = all.endpoint(before[k]).address();
            String now = lb.table().endpoint(lb.pick(k * 0x9E3779B97F4A7C15L)).address();
            if (!was.equals(now) && before[k] != 7) {
                moved++;
            }
        }
        // Maglev's paper bounds disruption to a small fraction of the keys not on the lost host.
        assertThat(moved).isLessThan(before.length / 20);
    }

    @Test
    @DisplayName("ring_hash_lb.cc: the same key always reaches the same host; other policies ignore the key")
    void keysAreSticky() {
        LoadBalancer ring = Tables.balancer(LbConfig.builder().policy(LbPolicy.RING_HASH).build(),
                ports(1, 50, HealthStatus.HEALTHY));
        for (long k = 0; k < 200; k++) {
            assertThat(ring.pick(k * 31)).isEqualTo(ring.pick(k * 31));
        }
        LoadBalancer rr = Tables.balancer(LbConfig.defaults(), ports(1, 3, HealthStatus.HEALTHY));
        assertThat(new int[] {rr.pick(5), rr.pick(5), rr.pick(5)}).containsExactlyInAnyOrder(0, 1, 2);
    }
}
