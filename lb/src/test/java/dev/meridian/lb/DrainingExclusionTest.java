package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Hosts reported DRAINING are excluded from Envoy 1.30 on: {@code excludeBasedOnHealthFlag} in
 * {@code source/common/upstream/upstream_impl.cc} puts a host with {@code EDS_STATUS_DRAINING} in
 * the host set's excluded hosts (and {@code coarseHealth} makes it unhealthy), and
 * {@code recalculatePerPriorityState} / {@code isHostSetInPanic} in {@code load_balancer_impl.cc}
 * count {@code hosts().size() - excludedHosts().size()}, as does
 * {@code HostSetImpl::effectiveLocalityWeight}. envoyproxy/envoy#30622, first released in 1.30.0
 * (changelogs/1.30.0.yaml); before it {@code setEdsHealthFlag} marked DRAINING like UNHEALTHY, which
 * {@code envoyRelease(29)} reproduces.
 */
class DrainingExclusionTest {

    private static final int LATEST = LbConfig.LATEST_ENVOY_MINOR;
    private static final int BEFORE = LbConfig.ENVOY_EXCLUDES_DRAINING - 1;

    /** P0: one HEALTHY and two DRAINING hosts, in locality X; more priorities as given. */
    private static EndpointTable oneHealthyTwoDraining(int p1Healthy) {
        EndpointTable.Builder b = EndpointTable.builder();
        b.add(Tables.endpoint(0, Tables.X, HealthStatus.HEALTHY, 1), 0, 0);
        b.add(Tables.endpoint(1, Tables.X, HealthStatus.DRAINING, 1), 0, 0);
        b.add(Tables.endpoint(2, Tables.X, HealthStatus.DRAINING, 1), 0, 0);
        for (int i = 0; i < p1Healthy; i++) {
            b.add(Tables.endpoint(10 + i, Tables.Y, HealthStatus.HEALTHY, 1), 1, 0);
        }
        return b.build();
    }

    private static double[] observed(LoadBalancer lb, int picks) {
        double[] share = new double[lb.table().size()];
        for (int i = 0; i < picks; i++) {
            share[lb.pick()] += 1.0 / picks;
        }
        return share;
    }

    @Test
    @DisplayName("Envoy 1.30+: P0 {HEALTHY, DRAINING, DRAINING}, panic 50: health 140*1/(3-2) -> 100, no panic, 100% to the healthy host")
    void drainingHostsAreExcluded() {
        LoadBalancer lb = Tables.balancer(LbConfig.builder().envoyRelease(LATEST).build(), oneHealthyTwoDraining(0));
        PriorityPlan p0 = lb.plan().priorities().get(0);
        assertThat(p0.hosts()).isEqualTo(3);
        assertThat(p0.excluded()).isEqualTo(2);
        assertThat(p0.panic()).isFalse();
        assertThat(p0.healthyLoad()).isEqualTo(100);
        assertThat(p0.localities().get(0).hosts()).extracting(HostPlan::excluded).containsExactly(false, true, true);
        assertThat(p0.localities().get(0).hosts().get(0).share()).isCloseTo(100.0, within(1e-9));
        double[] share = observed(lb, 3_000);
        assertThat(share[0]).isEqualTo(1.0, within(1e-9));
        assertThat(lb.plan().drainingExcluded()).isTrue();
    }

    @Test
    @DisplayName("Envoy 1.29: the same hosts count as 3 with 1 healthy: 33% < 50 -> panic, two thirds of the picks go to draining hosts")
    void drainingHostsCountBefore130() {
        LoadBalancer lb = Tables.balancer(LbConfig.builder().envoyRelease(BEFORE).build(), oneHealthyTwoDraining(0));
        PriorityPlan p0 = lb.plan().priorities().get(0);
        assertThat(p0.excluded()).isZero();
        assertThat(p0.panic()).isTrue();
        assertThat(p0.localities().get(0).hosts()).allSatisfy(h -> assertThat(h.share()).isCloseTo(100 / 3.0, within(1e-9)));
        double[] share = observed(lb, 30_000);
        assertThat(share[1] + share[2]).isCloseTo(2 / 3.0, within(0.01));
        assertThat(lb.plan().drainingExcluded()).isFalse();
    }

    @Test
    @DisplayName("priority spillover (Envoy's 'Excluded endpoints' example): P0 {healthy, draining, draining}, P1 {healthy, healthy} -> 100% P0 from 1.30, 46/54 before")
    void spillover() {
        LoadPlan now = Tables.balancer(LbConfig.builder().build(), oneHealthyTwoDraining(2)).plan();
        assertThat(now.priorities()).extracting(PriorityPlan::healthyLoad).containsExactly(100, 0);
        // Before: P0 health 140 * 1 / 3 = 46, P1 100, normalized total 100 -> 46 and 54.
        LoadPlan before = Tables.balancer(LbConfig.builder().envoyRelease(BEFORE).build(), oneHealthyTwoDraining(2))
                .plan();
        assertThat(before.priorities()).extracting(PriorityPlan::healthyLoad).containsExactly(46, 54);
    }

    @Test
    @DisplayName("effectiveLocalityWeight: X {healthy, draining} weight 1 -> 1 * min(1, 1.4 * 1/(2-1)) = 1 from 1.30, 0.7 before")
    void effectiveLocalityWeight() {
        EndpointTable.Builder b = EndpointTable.builder();
        b.add(Tables.endpoint(0, Tables.X, HealthStatus.HEALTHY, 1), 0, 1);
        b.add(Tables.endpoint(1, Tables.X, HealthStatus.DRAINING, 1), 0, 1);
        b.add(Tables.endpoint(2, Tables.Y, HealthStatus.HEALTHY, 1), 0, 1);
        b.add(Tables.endpoint(3, Tables.Y, HealthStatus.HEALTHY, 1), 0, 1);
        EndpointTable table = b.build();
        LoadPlan now = Tables.balancer(LbConfig.builder().localityWeighted(true).build(), table).plan();
        LoadPlan before = Tables.balancer(LbConfig.builder().localityWeighted(true).envoyRelease(BEFORE).build(), table)
                .plan();
        assertThat(now.priorities().get(0).localities().get(0).effectiveWeight()).isCloseTo(1.0, within(1e-12));
        assertThat(now.priorities().get(0).localities().get(0).share()).isCloseTo(50.0, within(1e-9));
        assertThat(before.priorities().get(0).localities().get(0).effectiveWeight()).isCloseTo(0.7, within(1e-12));
        assertThat(before.priorities().get(0).localities().get(0).share()).isCloseTo(100 * 0.7 / 1.7, within(1e-9));
    }

    @Test
    @DisplayName("recalculateLoadInTotalPanic counts hosts().size(), excluded hosts included: P0 {draining, unhealthy}, P1 {unhealthy x2} -> 50/50")
    void totalPanicCountsExcludedHosts() {
        EndpointTable.Builder b = EndpointTable.builder();
        b.add(Tables.endpoint(0, Tables.X, HealthStatus.DRAINING, 1), 0, 0);
        b.add(Tables.endpoint(1, Tables.X, HealthStatus.UNHEALTHY, 1), 0, 0);
        b.add(Tables.endpoint(2, Tables.Y, HealthStatus.UNHEALTHY, 1), 1, 0);
        b.add(Tables.endpoint(3, Tables.Y, HealthStatus.UNHEALTHY, 1), 1, 0);
        LoadPlan plan = Tables.balancer(LbConfig.builder().build(), b.build()).plan();
        assertThat(plan.priorities()).extracting(PriorityPlan::panic).containsExactly(true, true);
        assertThat(plan.priorities()).extracting(PriorityPlan::healthyLoad).containsExactly(50, 50);
    }

    @Test
    @DisplayName("envoyRelease outside 1.13..1.38 is refused naming the field and the value")
    void envoyReleaseRange() {
        assertThatThrownBy(() -> LbConfig.builder().envoyRelease(12)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("envoyRelease").hasMessageContaining("1.12");
        assertThatThrownBy(() -> LbConfig.builder().envoyRelease(39)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("envoyRelease").hasMessageContaining("1.39");
        assertThat(LbConfig.defaults().envoyRelease()).isEqualTo(38);
        assertThat(LbConfig.builder().envoyRelease(30).build().excludesDraining()).isTrue();
        assertThat(LbConfig.builder().envoyRelease(29).build().excludesDraining()).isFalse();
    }
}
