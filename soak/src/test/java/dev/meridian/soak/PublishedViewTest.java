package dev.meridian.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.PriorityPlan;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The soak's own account of what a publication allows, against cases of Envoy's rules worked by
 * hand from its source ({@code load_balancer_impl.cc}: integer priority health, load spilled in
 * order with the rounding to the first available priority, no panic at a normalized 100, total
 * panic by host count; {@code thread_aware_lb_impl.cc}: hash tables of healthy hosts, or all in
 * panic; {@code previous_priorities.cc}: the retry load), and against the cluster's plan for the
 * same publication.
 */
class PublishedViewTest {

    private final AddressPool pool = new AddressPool(10);
    private Cluster cluster;

    /** One priority's hosts, by health, in the order given. */
    private static HealthStatus[] hosts(Object... countsAndHealth) {
        List<HealthStatus> out = new ArrayList<>();
        for (int i = 0; i < countsAndHealth.length; i += 2) {
            for (int k = 0; k < (Integer) countsAndHealth[i]; k++) {
                out.add((HealthStatus) countsAndHealth[i + 1]);
            }
        }
        return out.toArray(new HealthStatus[0]);
    }

    /** A view of a cluster whose priority {@code p} holds {@code priorities[p]}, each host in the pool's order. */
    private PublishedView view(LbConfig config, HealthStatus[]... priorities) {
        EndpointTable.Builder b = EndpointTable.builder();
        int id = 0;
        for (int p = 0; p < priorities.length; p++) {
            for (HealthStatus h : priorities[p]) {
                b.add(Endpoint.parseAddress(pool.address(id), AddressPool.LOCALITIES[pool.homeLocality(id)], Map.of(),
                        1, h, Endpoint.NO_PRIORITY), p, 0);
                id++;
            }
        }
        cluster = Cluster.builder(config).endpoints(b.build()).clock(Clocks.manual()).random(RandomSource.seeded(1))
                .build();
        return capture(config, false);
    }

    private PublishedView capture(LbConfig config, boolean detecting) {
        PublishedView v = PublishedView.of(cluster.publications(), cluster.table(), cluster.hosts(), detecting, config,
                pool);
        // The same publication as the cluster's own plan sees it.
        for (PriorityPlan p : cluster.plan().priorities()) {
            int i = p.priority();
            assertThat(new int[] {v.hosts(i), v.excluded(i), v.healthy(i), v.degraded(i), v.healthyLoad(i),
                v.degradedLoad(i)}).as("P%d against the plan", i).containsExactly(p.hosts(), p.excluded(), p.healthy(),
                    p.degraded(), p.healthyLoad(), p.degradedLoad());
            assertThat(v.panic(i)).as("P%d panic against the plan", i).isEqualTo(p.panic());
        }
        return v;
    }

    private Host host(int addressId) {
        return cluster.host(pool.address(addressId));
    }

    private static LbConfig config(LbPolicy policy, int panicThreshold, boolean failTrafficOnPanic) {
        return LbConfig.builder().policy(policy).panicThreshold(panicThreshold).failTrafficOnPanic(failTrafficOnPanic)
                .build();
    }

    @Test
    @DisplayName("priority load: integer health 140 x healthy / hosts, capped at 100, spilled in order; no panic at a normalized 100")
    void spill() {
        PublishedView v = view(config(LbPolicy.ROUND_ROBIN, 50, false),
                hosts(2, HealthStatus.HEALTHY, 2, HealthStatus.UNHEALTHY), hosts(4, HealthStatus.HEALTHY));
        // P0: 140 x 2 / 4 = 70; P1: 100; normalized min(100, 170) = 100.
        assertThat(v.healthyLoad(0)).isEqualTo(70);
        assertThat(v.healthyLoad(1)).isEqualTo(30);
        assertThat(v.panic(0)).as("50% healthy is not below 50, and a normalized 100 never panics").isFalse();
        assertThat(v.mayReturnNothing(PublishedView.PICK, 0)).isFalse();
        assertThat(v.mayReturn(PublishedView.PICK, 0, 0, host(0))).isTrue();
        assertThat(v.mayReturn(PublishedView.PICK, 0, 2, host(2))).as("an unhealthy host outside panic").isFalse();
    }

    @Test
    @DisplayName("a host at a priority without load is returned only by a retry pick that moves load to it")
    void priorityWithoutLoad() {
        PublishedView v = view(config(LbPolicy.ROUND_ROBIN, 50, false), hosts(2, HealthStatus.HEALTHY),
                hosts(2, HealthStatus.HEALTHY));
        assertThat(v.healthyLoad(1)).isZero();
        assertThat(v.mayReturn(PublishedView.PICK, 0, 2, host(2))).isFalse();
        assertThat(v.mayReturn(PublishedView.PICK_HASH, 0, 2, host(2))).isFalse();
        assertThat(v.mayReturn(PublishedView.PICK_EXCLUDING, 0b01, 2, host(2))).isTrue();
        assertThat(v.mayReturn(PublishedView.PICK_EXCLUDING, 0b01, 0, host(0))).isFalse();
        assertThat(v.mayReturn(PublishedView.PICK_EXCLUDING, 0b11, 0, host(0)))
                .as("nothing left outside: the exclusion is dropped").isTrue();
    }

    @Test
    @DisplayName("what rounding leaves goes to the first priority with healthy availability")
    void rounding() {
        PublishedView v = view(config(LbPolicy.ROUND_ROBIN, 0, false),
                hosts(1, HealthStatus.HEALTHY, 2, HealthStatus.UNHEALTHY),
                hosts(1, HealthStatus.HEALTHY, 6, HealthStatus.UNHEALTHY));
        // Availability 46 and 20, normalized 66: 46 x 100 / 66 = 69, 20 x 100 / 66 = 30, one left for P0.
        assertThat(v.healthyLoad(0)).isEqualTo(70);
        assertThat(v.healthyLoad(1)).isEqualTo(30);
        assertThat(v.panic(0) || v.panic(1)).as("threshold 0 disables panic").isFalse();
    }

    @Test
    @DisplayName("every priority in panic: load by host count, and a pick may return any host")
    void totalPanic() {
        PublishedView v = view(config(LbPolicy.ROUND_ROBIN, 50, false),
                hosts(1, HealthStatus.HEALTHY, 2, HealthStatus.UNHEALTHY),
                hosts(1, HealthStatus.HEALTHY, 6, HealthStatus.UNHEALTHY));
        assertThat(v.panic(0) && v.panic(1)).isTrue();
        assertThat(v.healthyLoad(0)).isEqualTo(30);
        assertThat(v.healthyLoad(1)).isEqualTo(70);
        assertThat(v.mayReturn(PublishedView.PICK, 0, 1, host(1))).as("an unhealthy host in panic").isTrue();
        assertThat(v.mayReturnNothing(PublishedView.PICK, 0)).isFalse();
    }

    @Test
    @DisplayName("fail traffic on panic: a priority in panic with load may give no host, and none of its hosts")
    void failTrafficOnPanic() {
        HealthStatus[] p0 = hosts(1, HealthStatus.HEALTHY, 2, HealthStatus.UNHEALTHY);
        HealthStatus[] p1 = hosts(1, HealthStatus.HEALTHY, 6, HealthStatus.UNHEALTHY);
        // 33% healthy at P0 is not below 30; 14% at P1 is: only P1 panics, and it has load 30.
        PublishedView failing = view(config(LbPolicy.LEAST_REQUEST, 30, true), p0, p1);
        assertThat(failing.panic(0)).isFalse();
        assertThat(failing.panic(1)).isTrue();
        assertThat(failing.mayReturnNothing(PublishedView.PICK, 0)).isTrue();
        assertThat(failing.mayReturn(PublishedView.PICK, 0, 3, host(3))).as("P1's healthy host").isFalse();
        assertThat(failing.mayReturn(PublishedView.PICK, 0, 0, host(0))).as("P0's healthy host").isTrue();
        // Retry picks: excluding P1 leaves P0, not in panic; excluding P0 leaves P1, in panic.
        assertThat(failing.mayReturnNothing(PublishedView.PICK_EXCLUDING, 0b10)).isFalse();
        assertThat(failing.mayReturnNothing(PublishedView.PICK_EXCLUDING, 0b01)).isTrue();
        assertThat(failing.mayReturnNothing(PublishedView.PICK_EXCLUDING, 0b11))
                .as("nothing left outside: the exclusion is dropped").isTrue();

        PublishedView balancing = view(config(LbPolicy.LEAST_REQUEST, 30, false), p0, p1);
        assertThat(balancing.mayReturnNothing(PublishedView.PICK, 0)).isFalse();
        assertThat(balancing.mayReturn(PublishedView.PICK, 0, 4, host(4))).as("P1's unhealthy host, balanced over in panic").isTrue();

        PublishedView hashing = view(config(LbPolicy.MAGLEV, 30, true), p0, p1);
        assertThat(hashing.mayReturnNothing(PublishedView.PICK_HASH, 0))
                .as("the hash policies balance over all hosts in panic whatever the setting").isFalse();
        assertThat(hashing.mayReturn(PublishedView.PICK, 0, 4, host(4))).isTrue();
        assertThat(hashing.mayReturnNothing(PublishedView.PICK_EXCLUDING, 0b10))
                .as("the hash policies ignore the exclusion").isFalse();
        assertThat(hashing.mayReturn(PublishedView.PICK_EXCLUDING, 0b10, 4, host(4))).isTrue();
    }

    @Test
    @DisplayName("hash policies leave degraded hosts out of their tables: load on a degraded-only priority finds no host")
    void hashAndDegraded() {
        HealthStatus[] p0 = hosts(1, HealthStatus.HEALTHY, 3, HealthStatus.UNHEALTHY);
        HealthStatus[] p1 = hosts(2, HealthStatus.DEGRADED);
        PublishedView hashing = view(config(LbPolicy.RING_HASH, 50, false), p0, p1);
        // P0 healthy 35, P1 degraded 100: normalized 100, so no panic; P1 takes 65 as degraded load.
        assertThat(hashing.healthyLoad(0)).isEqualTo(35);
        assertThat(hashing.degradedLoad(1)).isEqualTo(65);
        assertThat(hashing.mayReturnNothing(PublishedView.PICK_HASH, 0)).isTrue();
        assertThat(hashing.mayReturn(PublishedView.PICK, 0, 4, host(4))).as("a degraded host").isFalse();

        PublishedView rotating = view(config(LbPolicy.ROUND_ROBIN, 50, false), p0, p1);
        assertThat(rotating.mayReturnNothing(PublishedView.PICK, 0)).isFalse();
        assertThat(rotating.mayReturn(PublishedView.PICK, 0, 4, host(4))).isTrue();
    }

    @Test
    @DisplayName("nothing available and panic off: all load to P0, and finding no host is allowed")
    void nothingAvailable() {
        PublishedView v = view(config(LbPolicy.ROUND_ROBIN, 0, false), hosts(2, HealthStatus.UNHEALTHY),
                hosts(1, HealthStatus.TIMEOUT));
        assertThat(v.anyHealthy()).isFalse();
        assertThat(v.healthyLoad(0)).isEqualTo(100);
        assertThat(v.panic(0) || v.panic(1)).isFalse();
        assertThat(v.mayReturnNothing(PublishedView.PICK, 0)).isTrue();
        assertThat(v.mayReturn(PublishedView.PICK, 0, 0, host(0))).isFalse();
        assertThat(v.mayReturn(PublishedView.PICK, 0, 2, host(2))).isFalse();
    }

    @Test
    @DisplayName("degraded hosts count as available: they take the load when no host is healthy")
    void degradedOnly() {
        PublishedView v = view(config(LbPolicy.ROUND_ROBIN, 0, false), hosts(2, HealthStatus.UNHEALTHY),
                hosts(1, HealthStatus.DEGRADED));
        assertThat(v.degradedLoad(1)).isEqualTo(100);
        assertThat(v.anyHealthy()).as("the invariant asks for a host only when one is healthy").isFalse();
        assertThat(v.mayReturn(PublishedView.PICK, 0, 2, host(2))).isTrue();
        assertThat(v.mayReturn(PublishedView.PICK, 0, 0, host(0))).isFalse();
    }

    @Test
    @DisplayName("draining hosts leave the host count from Envoy 1.30 on")
    void draining() {
        HealthStatus[] p0 = hosts(2, HealthStatus.HEALTHY, 2, HealthStatus.DRAINING);
        HealthStatus[] p1 = hosts(2, HealthStatus.HEALTHY);
        PublishedView current = view(config(LbPolicy.ROUND_ROBIN, 50, false), p0, p1);
        assertThat(current.excluded(0)).isEqualTo(2);
        assertThat(current.healthyLoad(0)).isEqualTo(100);
        PublishedView older = view(LbConfig.builder().envoyRelease(29).build(), p0, p1);
        assertThat(older.excluded(0)).isZero();
        assertThat(older.healthyLoad(0)).isEqualTo(70);
    }

    @Test
    @DisplayName("an ejected host is unavailable while detection is on, and the handle must be the publication's own")
    void ejectedAndHandles() {
        EndpointTable table = EndpointTable.builder()
                .add(Endpoint.parseAddress(pool.address(0), AddressPool.LOCALITIES[0], Map.of(), 1,
                        HealthStatus.HEALTHY, Endpoint.NO_PRIORITY), 0, 0)
                .add(Endpoint.parseAddress(pool.address(5), AddressPool.LOCALITIES[0], Map.of(), 1,
                        HealthStatus.HEALTHY, Endpoint.NO_PRIORITY), 0, 0)
                .build();
        LbConfig config = config(LbPolicy.RANDOM, 0, false);
        cluster = Cluster.builder(config).endpoints(table).clock(Clocks.manual()).random(RandomSource.seeded(1))
                .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(100).build()).build();
        Host first = host(0);
        for (int i = 0; i < 5; i++) {
            cluster.record(first, 500);
        }
        cluster.drain();
        PublishedView v = capture(config, true);
        assertThat(v.state(0)).isEqualTo(PublishedView.UNAVAILABLE);
        assertThat(v.mayReturn(PublishedView.PICK, 0, 0, first)).isFalse();
        assertThat(v.mayReturn(PublishedView.PICK, 0, 5, host(5))).isTrue();
        assertThat(v.mayReturn(PublishedView.PICK, 0, 5, first)).as("another address's handle").isFalse();
        assertThat(v.state(1)).isEqualTo(PublishedView.ABSENT);

        cluster.update(EndpointTable.builder()
                .add(Endpoint.parseAddress(pool.address(5), AddressPool.LOCALITIES[0], Map.of(), 1,
                        HealthStatus.HEALTHY, Endpoint.NO_PRIORITY), 0, 0).build());
        cluster.update(table);
        cluster.drain();
        PublishedView back = capture(config, true);
        assertThat(back.handle(0)).as("removed and added again: a new handle").isNotSameAs(first);
        assertThat(back.mayReturn(PublishedView.PICK, 0, 0, first)).isFalse();
        assertThat(back.mayReturn(PublishedView.PICK, 0, 0, host(0))).isTrue();
    }
}
