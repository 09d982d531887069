package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Weighted least request's long-run shares against Envoy's. {@code LeastRequestLoadBalancer::hostWeight}
 * ({@code source/extensions/load_balancing_policies/least_request/least_request_lb.cc}) gives a
 * host {@code weight / (active + 1)^active_request_bias} (bias 1.0 by default, a plain division;
 * bias 0 the weight alone) and {@code EdfLoadBalancerBase::chooseHostOnce} picks from an EDF schedule
 * ({@code source/common/upstream/edf_scheduler.h}) that re-reads that weight each time it puts a
 * host back; with steady counts an EDF schedule gives each host its weight over the sum. So for
 * weights 1 and 2 with equal counts the weight-2 host gets exactly 2/3 at any load. Statistical,
 * with a fixed seed and, for each expected share {@code p}, enough picks that 1% of {@code p} is at
 * least five standard errors; never timed.
 */
class WeightedLeastRequestTest {

    private static final int PICKS = 400_000;

    private static EndpointTable weights(int... w) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < w.length; i++) {
            b.add(Tables.endpoint(i, Tables.X, HealthStatus.HEALTHY, w[i]), 0, 0);
        }
        return b.build();
    }

    /** Picks for which 1% of {@code p} is five standard errors of the observed share, at least {@link #PICKS}. */
    private static int picksFor(double p) {
        return (int) Math.max(PICKS, Math.ceil(25 * (1 - p) / (p * 1e-4)));
    }

    private static double shareOfHost1(LoadBalancer lb, double expected) {
        int picks = picksFor(expected);
        int one = 0;
        for (int i = 0; i < picks; i++) {
            if (lb.pick() == 1) {
                one++;
            }
        }
        return (double) one / picks;
    }

    private static LoadBalancer withActive(LbConfig config, EndpointTable table, int... active) {
        LoadBalancer lb = Tables.balancer(config, table);
        for (int h = 0; h < active.length; h++) {
            for (int i = 0; i < active[h]; i++) {
                lb.requestStarted(h);
            }
        }
        return lb;
    }

    @ParameterizedTest(name = "{0} requests in flight on each host")
    @ValueSource(ints = {0, 10, 100, 1_000})
    void equalCountsFollowTheWeights(int active) {
        // Envoy: (2 / (a + 1)) / (1 / (a + 1) + 2 / (a + 1)) = 2/3 whatever a is. Meridian before this
        // change gave 0.672, 0.874 and 0.984 at 10, 100 and 1,000.
        LoadBalancer lb = withActive(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).build(), weights(1, 2),
                active, active);
        double expected = 2 / 3.0;
        assertThat(shareOfHost1(lb, expected)).isCloseTo(expected, within(0.01 * expected));
    }

    @ParameterizedTest(name = "bias {0}, counts 0 and {1}: weight-2 host gets {2}")
    @CsvSource({
        // bias 0: hostWeight returns the weight alone -> 2/3 whatever the counts.
        "0.0, 7, 0.6666667",
        // bias 1: 1/1 against 2/4 -> 0.5/1.5.
        "1.0, 3, 0.3333333",
        // bias 2: 1/1 against 2/(2^2) = 0.5 -> 1/3; counts 0 and 3: 2/16 = 0.125 -> 0.125/1.125.
        "2.0, 1, 0.3333333",
        "2.0, 3, 0.1111111",
        // bias 0.5: 1/1 against 2/sqrt(4) = 1 -> 1/2.
        "0.5, 3, 0.5",
    })
    void activeRequestBias(double bias, int activeOnHost1, double expected) {
        LoadBalancer lb = withActive(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).activeRequestBias(bias).build(),
                weights(1, 2), 0, activeOnHost1);
        assertThat(shareOfHost1(lb, expected)).isCloseTo(expected, within(0.01 * expected));
    }

    @ParameterizedTest(name = "{0} requests in flight on the idle host's peers")
    @ValueSource(ints = {100, 1_000})
    void skewedWeightsAndCounts(int busy) {
        // Ten hosts: host 0 weight 1, idle; hosts 1..9 weight 100 with `busy` requests each.
        // Envoy's shares: 1 / (1 + 9 * 100 / (busy + 1)) for host 0.
        int[] w = new int[10];
        int[] active = new int[10];
        w[0] = 1;
        for (int h = 1; h < 10; h++) {
            w[h] = 100;
            active[h] = busy;
        }
        LoadBalancer lb = withActive(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).build(), weights(w), active);
        double expected = 1 / (1 + 9 * 100.0 / (busy + 1));
        int picks = picksFor(expected);
        int zero = 0;
        for (int i = 0; i < picks; i++) {
            if (lb.pick() == 0) {
                zero++;
            }
        }
        assertThat((double) zero / picks).isCloseTo(expected, within(0.01 * expected));
    }
}
