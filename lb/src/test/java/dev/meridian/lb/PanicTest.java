package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.EndpointTable;
import java.util.BitSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Panic behaviour from {@code intro/arch_overview/upstream/load_balancing/panic_threshold} and
 * Envoy's {@code load_balancer_impl.cc} ({@code recalculatePerPriorityPanic},
 * {@code recalculateLoadInTotalPanic}, {@code hostSourceToUse}).
 */
class PanicTest {

    @Test
    @DisplayName("panic_threshold: threshold 0 and nothing healthy -> 100% to P0 and no host is picked")
    void thresholdZeroNothingAvailable() {
        EndpointTable table = Tables.priorities(new int[] {3, 0}, new int[] {2, 0});
        LoadBalancer lb = Tables.balancer(LbConfig.builder().panicThreshold(0).build(), table);
        LoadPlan plan = lb.plan();
        assertThat(plan.priorities().get(0).healthyLoad()).isEqualTo(100);
        assertThat(plan.priorities()).noneMatch(PriorityPlan::panic);
        for (int i = 0; i < 1000; i++) {
            assertThat(lb.pick()).isEqualTo(LoadBalancer.NO_ENDPOINT);
        }
    }

    @Test
    @DisplayName("panic_threshold: everything unhealthy with a threshold -> total panic, load by host count")
    void totalPanicByHostCount() {
        EndpointTable table = Tables.priorities(new int[] {1, 0}, new int[] {2, 0});
        LoadPlan plan = Tables.plan(table);
        // 100 × 1 / 3 = 33 and 100 × 2 / 3 = 66; the 1 left over goes to the first non-empty level.
        assertThat(plan.priorities()).extracting(PriorityPlan::healthyLoad).containsExactly(34, 66);
        assertThat(plan.priorities()).allMatch(PriorityPlan::panic);
    }

    @Test
    @DisplayName("load_balancer_impl.cc: an empty table picks no host")
    void emptyTable() {
        LoadBalancer lb = Tables.balancer(LbConfig.defaults(), EndpointTable.empty());
        assertThat(lb.pick()).isEqualTo(LoadBalancer.NO_ENDPOINT);
        assertThat(lb.pick(7)).isEqualTo(LoadBalancer.NO_ENDPOINT);
        assertThat(lb.plan().priorities()).hasSize(1);
        assertThat(lb.plan().priorities().get(0).healthyLoad()).isEqualTo(100);
    }

    @Test
    @DisplayName("hostSourceToUse: a priority in panic balances over all of its hosts, healthy or not")
    void panicUsesAllHosts() {
        // 1 of 4 healthy: 25% < 50%, and normalized total 35 < 100.
        EndpointTable table = Tables.priorities(new int[] {4, 1});
        LoadBalancer lb = Tables.balancer(LbConfig.defaults(), table);
        BitSet seen = new BitSet();
        for (int i = 0; i < 400; i++) {
            seen.set(lb.pick());
        }
        assertThat(seen.cardinality()).isEqualTo(4);
        assertThat(lb.plan().priorities().get(0).localities().get(0).hosts())
                .allSatisfy(h -> assertThat(h.share()).isEqualTo(25.0));
    }

    @Test
    @DisplayName("zone_aware_lb_config.fail_traffic_on_panic: a priority in panic takes no traffic")
    void failTrafficOnPanic() {
        EndpointTable table = Tables.priorities(new int[] {4, 1});
        LoadBalancer lb = Tables.balancer(LbConfig.builder().failTrafficOnPanic(true).build(), table);
        for (int i = 0; i < 100; i++) {
            assertThat(lb.pick()).isEqualTo(LoadBalancer.NO_ENDPOINT);
        }
        assertThat(lb.plan().priorities().get(0).localities().get(0).hosts())
                .allSatisfy(h -> assertThat(h.share()).isEqualTo(0.0));
    }

    @Test
    @DisplayName("panic_threshold: ejected hosts count as unhealthy and can tip a level into panic")
    void ejectionsCountAsUnhealthy() {
        EndpointTable table = Tables.priorities(new int[] {4, 4}, new int[] {4, 4});
        LoadBalancer lb = Tables.balancer(LbConfig.defaults(), table);
        BitSet ejected = new BitSet();
        ejected.set(0, 3);
        assertThat(lb.setEjected(table, ejected)).isTrue();
        LoadPlan plan = lb.plan();
        // P0 health 140 × 1 / 4 = 35, P1 100: P0 35%, P1 65%, no panic (normalized total 100).
        assertThat(plan.priorities()).extracting(PriorityPlan::healthyLoad).containsExactly(35, 65);
        assertThat(plan.priorities().get(0).healthy()).isEqualTo(1);
        assertThat(plan.priorities().get(0).localities().get(0).hosts().get(0).ejected()).isTrue();
        assertThat(lb.setEjected(Tables.priorities(new int[] {1, 1}), new BitSet())).isFalse();
    }

    @Test
    @DisplayName("healthy_panic_threshold is a Percent that Envoy rounds to an integer")
    void thresholdIsRounded() {
        // 49 of 100 healthy in P0, P1 empty of healthy hosts: normalized 68 < 100.
        EndpointTable table = Tables.priorities(new int[] {100, 49}, new int[] {1, 0});
        assertThat(Tables.balancer(LbConfig.builder().panicThreshold(49.4).build(), table).plan()
                .priorities().get(0).panic()).isFalse();
        assertThat(Tables.balancer(LbConfig.builder().panicThreshold(49.5).build(), table).plan()
                .priorities().get(0).panic()).isTrue();
    }

    @Test
    @DisplayName("load_balancer_impl.cc: with panic on, gaining a healthy host can lower a level's load")
    void totalPanicExitCanLowerLoad() {
        // A fact of Envoy's arithmetic, kept here so nobody "fixes" it: in total panic the split is
        // by host count, and leaving total panic switches to availability.
        EndpointTable before = Tables.priorities(new int[] {10, 2}, new int[] {1000, 499});
        EndpointTable after = Tables.priorities(new int[] {10, 2}, new int[] {1000, 500});
        assertThat(Tables.plan(before).priorities()).extracting(PriorityPlan::healthyLoad).containsExactly(1, 99);
        assertThat(Tables.plan(after).priorities()).extracting(PriorityPlan::healthyLoad).containsExactly(29, 71);
    }
}
