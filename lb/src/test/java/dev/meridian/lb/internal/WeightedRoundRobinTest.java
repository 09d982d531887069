package dev.meridian.lb.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.SlowStartConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import dev.meridian.core.ManualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The cost and the shares of weighted round robin with skewed weights. Envoy's EDF scheduler
 * ({@code source/common/upstream/edf_scheduler.h}, used by {@code RoundRobinLoadBalancer} in
 * {@code source/common/upstream/load_balancer_impl.cc}) gives each host weight over total weight at
 * O(log n) per pick whatever the weights; the cost here is counted in sequence values taken (one per
 * host visited), not timed.
 */
class WeightedRoundRobinTest {

    private static final Locality HERE = Locality.of("r1", "z1", "");

    /** Host 0 at {@code heavy}, then {@code light} hosts at weight 1, all healthy at priority 0. */
    private static EndpointTable skewed(int heavy, int light) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i <= light; i++) {
            b.add(new Endpoint("10.0." + (i >> 8) + "." + (i & 255), 8080, HERE, Map.of(), i == 0 ? heavy : 1,
                    HealthStatus.HEALTHY, Endpoint.NO_PRIORITY));
        }
        return b.build();
    }

    @Test
    @DisplayName("one host at 10^6 among 999 at 1: each pick visits one host, and shares are weight over total")
    void skewedWeightsCostOneVisitPerPick() {
        EndpointTable table = skewed(1_000_000, 999);
        Snapshot s = Snapshot.build(LbConfig.defaults(), table, new boolean[table.size()],
                ActiveRequests.striped(table.size()), established(table.size()), RandomSource.seeded(5), 0);
        HostSource source = s.levels()[0].healthy;
        ManualClock clock = Clocks.manual();
        RandomSource random = RandomSource.seeded(6);
        long start = s.sequenceValue(source);
        int picks = 1_000_000;
        long heavy = 0;
        int[] light = new int[table.size()];
        for (int i = 0; i < picks; i++) {
            int h = s.pick(random, clock);
            if (h == 0) {
                heavy++;
            } else {
                light[h]++;
            }
        }
        // The stride scheduler this replaced visited max / mean = 10^6 / 1999 = 500 hosts per pick.
        assertThat(s.sequenceValue(source) - start).isEqualTo(picks);
        double total = 1_000_000 + 999;
        assertThat((double) heavy).isCloseTo(picks * 1_000_000.0 / total, offset(3.0));
        int lightTotal = 0;
        for (int c : light) {
            assertThat(c).as("each light host's 1 in 1,000,999 of a million picks").isBetween(0, 3);
            lightTotal += c;
        }
        assertThat((double) lightTotal).isCloseTo(picks * 999.0 / total, offset(3.0));
    }

    @Test
    @DisplayName("slow start with skewed weights: a new host's visits are kept with its factor, other picks visit once")
    void slowStartWithSkewedWeightsStaysCheap() {
        ManualClock clock = Clocks.manual();
        LbConfig config = LbConfig.builder().slowStart(SlowStartConfig.of(Duration.ofSeconds(10))).build();
        EndpointTable table = skewed(1_000_000, 9);
        long[] since = established(table.size());
        // The heavy host joined 5 s into a 10 s window: factor 0.5 (applySlowStartFactor).
        since[0] = 0;
        Clocks.advance(clock, Duration.ofSeconds(5));
        Snapshot s = Snapshot.build(config, table, new boolean[table.size()], ActiveRequests.striped(table.size()),
                since, RandomSource.seeded(5), clock.nanoTime());
        HostSource source = s.levels()[0].healthy;
        RandomSource random = RandomSource.seeded(6);
        long start = s.sequenceValue(source);
        int picks = 200_000;
        int heavy = 0;
        for (int i = 0; i < picks; i++) {
            if (s.pick(random, clock) == 0) {
                heavy++;
            }
        }
        // Shares: 500,000 / (500,000 + 9) for host 0; visits: 1 / (share kept) = 1 / 0.5 on average
        // for host 0's visits, once for the rest.
        double expected = 500_000 / 500_009.0;
        assertThat(heavy / (double) picks).isCloseTo(expected, offset(1e-4));
        long visits = s.sequenceValue(source) - start;
        assertThat(visits / (double) picks).isBetween(1.99, 2.01);
    }

    private static long[] established(int n) {
        long[] since = new long[n];
        Arrays.fill(since, Snapshot.ESTABLISHED);
        return since;
    }
}
