package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.Clocks;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.RandomSource;
import java.time.Duration;
import java.util.BitSet;
import dev.meridian.core.ManualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Host selection within a chosen priority and locality: round robin, random, least request and
 * slow start, after Envoy's {@code round_robin_lb.h}, {@code random_lb.cc},
 * {@code least_request_lb.cc} and {@code EdfLoadBalancerBase} in {@code load_balancer_impl.cc}.
 */
class HostSelectionTest {

    private static EndpointTable weighted(int... weights) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < weights.length; i++) {
            b.add(Tables.endpoint(i, Tables.X, HealthStatus.HEALTHY, weights[i]));
        }
        return b.build();
    }

    @Test
    @DisplayName("round_robin_lb.h: equal weights rotate through the hosts in order")
    void plainRotation() {
        LoadBalancer lb = Tables.balancer(LbConfig.defaults(), weighted(1, 1, 1, 1));
        int first = lb.pick();
        for (int i = 1; i < 12; i++) {
            assertThat(lb.pick()).isEqualTo((first + i) % 4);
        }
    }

    @Test
    @DisplayName("round_robin_lb.h: unequal weights get weight-proportional shares, spread out (EDF's shares)")
    void weightedShares() {
        LoadBalancer lb = Tables.balancer(LbConfig.defaults(), weighted(1, 2, 3, 4));
        int[] counts = new int[4];
        int[] window = new int[4];
        for (int i = 0; i < 10_000; i++) {
            int h = lb.pick();
            counts[h]++;
            window[h]++;
            if (i % 100 == 99) {
                // Smooth: within every 100 picks each host is close to its share (10/20/30/40).
                for (int k = 0; k < 4; k++) {
                    assertThat(window[k]).isBetween(10 * (k + 1) - 5, 10 * (k + 1) + 5);
                }
                java.util.Arrays.fill(window, 0);
            }
        }
        assertThat(counts[0]).isBetween(990, 1010);
        assertThat(counts[3]).isBetween(3990, 4010);
        assertThat(lb.plan().priorities().get(0).localities().get(0).hosts())
                .extracting(HostPlan::share).containsExactly(10.0, 20.0, 30.0, 40.0);
    }

    @Test
    @DisplayName("random_lb.cc: random ignores host weights")
    void randomIgnoresWeights() {
        LoadBalancer lb = Tables.balancer(LbConfig.builder().policy(LbPolicy.RANDOM).build(), weighted(1, 9));
        int zero = 0;
        for (int i = 0; i < 20_000; i++) {
            if (lb.pick() == 0) {
                zero++;
            }
        }
        assertThat(zero / 20_000.0).isCloseTo(0.5, within(0.02));
        assertThat(lb.plan().priorities().get(0).localities().get(0).hosts())
                .extracting(HostPlan::share).containsExactly(50.0, 50.0);
    }

    @Test
    @DisplayName("least_request_lb.cc: with equal weights, N random choices keep the least loaded")
    void leastRequestChoices() {
        LoadBalancer lb = Tables.balancer(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).build(),
                weighted(1, 1));
        for (int i = 0; i < 5; i++) {
            lb.requestStarted(0);
        }
        int busy = 0;
        for (int i = 0; i < 20_000; i++) {
            if (lb.pick() == 0) {
                busy++;
            }
        }
        // Host 0 wins only when both choices land on it: 1/4.
        assertThat(busy / 20_000.0).isCloseTo(0.25, within(0.02));
        LoadBalancer more = Tables.balancer(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST)
                .leastRequestChoiceCount(5).build(), weighted(1, 1));
        more.requestStarted(0);
        busy = 0;
        for (int i = 0; i < 20_000; i++) {
            if (more.pick() == 0) {
                busy++;
            }
        }
        assertThat(busy / 20_000.0).isCloseTo(1 / 32.0, within(0.01));
        for (int i = 0; i < 10; i++) {
            lb.requestFinished(0);
        }
        lb.requestFinished(1);
        lb.requestStarted(-3);
        lb.requestStarted(99);
        assertThat(lb.plan().priorities().get(0).localities().get(0).hosts())
                .allSatisfy(h -> assertThat(h.share()).isNull());
    }

    @Test
    @DisplayName("least_request_lb.cc: a finish without a start leaves the count at zero, so a later start counts as one request")
    void finishWithoutStartClampsAtZero() {
        LoadBalancer lb = Tables.balancer(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).build(), weighted(1, 1));
        for (int i = 0; i < 3; i++) {
            lb.requestFinished(0);
        }
        lb.requestStarted(0);
        int busy = 0;
        for (int i = 0; i < 20_000; i++) {
            if (lb.pick() == 0) {
                busy++;
            }
        }
        // Count 1 against 0: host 0 wins only when both choices land on it. Had the count gone to
        // -2, it would read as 0 and host 0 would take half.
        assertThat(busy / 20_000.0).isCloseTo(0.25, within(0.02));
        lb.requestFinished(0);
        busy = 0;
        for (int i = 0; i < 20_000; i++) {
            if (lb.pick() == 0) {
                busy++;
            }
        }
        assertThat(busy / 20_000.0).isCloseTo(0.5, within(0.02));
    }

    @Test
    @DisplayName("least_request_lb.cc: unequal weights use weight / (active + 1)^bias")
    void weightedLeastRequest() {
        LoadBalancer lb = Tables.balancer(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).build(),
                weighted(1, 2));
        // Host 1 has twice the weight and 3 requests in flight: 2/4 against 1/1.
        for (int i = 0; i < 3; i++) {
            lb.requestStarted(1);
        }
        int one = 0;
        for (int i = 0; i < 30_000; i++) {
            if (lb.pick() == 1) {
                one++;
            }
        }
        assertThat(one / 30_000.0).isCloseTo(0.5 / 1.5, within(0.02));
        LoadBalancer noBias = Tables.balancer(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST)
                .activeRequestBias(0).build(), weighted(1, 2));
        noBias.requestStarted(1);
        one = 0;
        for (int i = 0; i < 30_000; i++) {
            if (noBias.pick() == 1) {
                one++;
            }
        }
        assertThat(one / 30_000.0).isCloseTo(2 / 3.0, within(0.02));
    }

    @Test
    @DisplayName("EdfLoadBalancerBase::applySlowStartFactor: a new host ramps from 10% to full weight over the window")
    void slowStart() {
        ManualClock clock = Clocks.manual();
        LbConfig config = LbConfig.builder().slowStart(SlowStartConfig.of(Duration.ofSeconds(10))).build();
        LoadBalancer lb = LoadBalancer.create(config, weighted(1, 1), RandomSource.seeded(3), clock);
        lb.update(weighted(1, 1, 1));
        // At once: the new host has max(10%, 1 ms / 10 s) of its weight.
        assertThat(newHostShare(lb)).isCloseTo(100 * 0.1 / 2.1, within(1e-9));
        Clocks.advance(clock, Duration.ofSeconds(5));
        assertThat(newHostShare(lb)).isCloseTo(100 * 0.5 / 2.5, within(1e-9));
        int picks = 25_000;
        int toNew = 0;
        for (int i = 0; i < picks; i++) {
            if (lb.pick() == 2) {
                toNew++;
            }
        }
        assertThat(100.0 * toNew / picks).isCloseTo(20.0, within(0.5));
        Clocks.advance(clock, Duration.ofSeconds(5));
        assertThat(newHostShare(lb)).isCloseTo(100 / 3.0, within(1e-9));

        LbConfig aggressive = LbConfig.builder()
                .slowStart(new SlowStartConfig(Duration.ofSeconds(10), 2.0, 0)).build();
        LoadBalancer square = LoadBalancer.create(aggressive, weighted(1, 1), RandomSource.seeded(3), clock);
        square.update(weighted(1, 1, 1));
        Clocks.advance(clock, Duration.ofMillis(2500));
        // (0.25)^(1/2) = 0.5.
        assertThat(newHostShare(square)).isCloseTo(100 * 0.5 / 2.5, within(1e-9));
    }

    private static double newHostShare(LoadBalancer lb) {
        return lb.plan().priorities().get(0).localities().get(0).hosts().get(2).share();
    }

    @Test
    @DisplayName("update: ejections and active requests carry over by address; host ids may change")
    void updateCarriesStateByAddress() {
        EndpointTable first = weighted(1, 1, 1);
        LoadBalancer lb = Tables.balancer(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).build(), first);
        BitSet ejected = new BitSet();
        ejected.set(1);
        assertThat(lb.setEjected(first, ejected)).isTrue();
        lb.requestStarted(2);
        lb.requestStarted(2);
        // The same addresses in a different order, plus one new host.
        EndpointTable second = EndpointTable.builder()
                .add(first.endpoint(2)).add(first.endpoint(1)).add(Tables.endpoint(9, Tables.X, HealthStatus.HEALTHY, 1))
                .add(first.endpoint(0)).build();
        lb.update(second);
        assertThat(lb.table()).isSameAs(second);
        LoadPlan plan = lb.plan();
        assertThat(plan.priorities().get(0).localities().get(0).hosts())
                .extracting(HostPlan::ejected).containsExactly(false, true, false, false);
        assertThat(plan.priorities().get(0).healthy()).isEqualTo(3);
        assertThat(lb.setEjected(first, new BitSet())).isFalse();
        for (int i = 0; i < 2000; i++) {
            assertThat(lb.pick()).isNotEqualTo(1);
        }
    }
}
