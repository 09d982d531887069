package dev.meridian.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Cluster#pickExcluding}: the pick of a retry under Envoy's {@code previous_priorities}
 * retry plugin, as {@code source/extensions/retry/priority/previous_priorities/previous_priorities.cc}
 * ({@code adjustForAttemptedPriorities}, {@code adjustedAvailability}) computes it and as the
 * plugin's documentation
 * ({@code api/envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto})
 * illustrates it.
 */
class RetryPickTest {

    private static final int PICKS = 10_000;

    /**
     * A table with one priority per entry of {@code healthy}/{@code total}: priority p has
     * {@code total[p]} hosts of which the first {@code healthy[p]} are healthy.
     */
    private static Cluster cluster(int overprovisioning, int[] healthy, int[] total) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int p = 0; p < total.length; p++) {
            for (int h = 0; h < total[p]; h++) {
                HealthStatus status = h < healthy[p] ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY;
                Endpoint e = Endpoint.parseAddress("10.0." + p + "." + (h + 1) + ":8080", Locality.of("r" + p, "z1", ""),
                        Map.of(), 1, status, Endpoint.NO_PRIORITY);
                b.add(e, p, 0);
            }
        }
        return Cluster.builder(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).overprovisioningFactor(overprovisioning)
                        .panicThreshold(0).build())
                .endpoints(b.build()).random(RandomSource.seeded(7)).build();
    }

    private static int[] picksByPriority(Cluster c, long excluded, int priorities) {
        int[] counts = new int[priorities];
        for (int i = 0; i < PICKS; i++) {
            Host h = c.pickExcluding(excluded);
            assertThat(h).isNotNull();
            counts[h.priority()]++;
        }
        return counts;
    }

    @Test
    void hostsReportThePriorityOfThePublishedSnapshot() {
        Cluster c = cluster(140, new int[] {1, 1, 1}, new int[] {1, 1, 1});
        assertThat(c.host("10.0.0.1:8080").priority()).isZero();
        assertThat(c.host("10.0.2.1:8080").priority()).isEqualTo(2);
    }

    /**
     * The proto's example: priority health {100, 50, 50} gives the load {100, 0, 0}; with P0
     * excluded it becomes {0, 50, 50}, "because P1 is only able to handle 50% of the traffic,
     * causing the remaining to spill over to P2". Overprovisioning 100, so health is the healthy share.
     */
    @Test
    void excludingTheFirstPrioritySpillsByTheHealthOfTheOthers() {
        Cluster c = cluster(100, new int[] {2, 1, 1}, new int[] {2, 2, 2});
        assertThat(picksByPriority(c, 0, 3)).containsExactly(PICKS, 0, 0);
        int[] retried = picksByPriority(c, 1L, 3);
        assertThat(retried[0]).isZero();
        // 50/50 between P1 and P2: with 10,000 seeded draws, well within 45..55%.
        assertThat(retried[1]).isBetween(PICKS * 45 / 100, PICKS * 55 / 100);
        assertThat(retried[1] + retried[2]).isEqualTo(PICKS);
    }

    /**
     * The proto's sequence with {@code update_frequency = 1} and health {100, 0, 50}: P0, then P2 (P0
     * excluded, P2 the only healthy priority), then P0 again: with P0 and P2 excluded nothing is
     * available, so Envoy clears the exclusion and distributes over every priority.
     */
    @Test
    void excludingEveryAvailablePriorityStartsOver() {
        Cluster c = cluster(100, new int[] {2, 0, 1}, new int[] {2, 2, 2});
        assertThat(picksByPriority(c, 0, 3)[0]).isEqualTo(PICKS);
        assertThat(picksByPriority(c, 1L, 3)[2]).isEqualTo(PICKS);
        // P0 has 100, P2 50: normalized to 100, the whole load goes to P0 (100 × 100 / 100).
        assertThat(picksByPriority(c, 1L | 1L << 2, 3)[0]).isEqualTo(PICKS);
    }

    /**
     * Rounding: availabilities {1, 1, 1} (overprovisioning 140 over 140 hosts with one healthy
     * each) normalize to 3, each share is 100 / 3 = 33 and the 1 left over goes to the first
     * available priority on the loop's second pass: {34, 33, 33}, here with P0 excluded {0, 50, 50}.
     */
    @Test
    void availabilityIsNormalizedOverThePrioritiesLeft() {
        Cluster c = cluster(140, new int[] {1, 1, 1}, new int[] {140, 140, 140});
        int[] retried = picksByPriority(c, 1L, 3);
        assertThat(retried[0]).isZero();
        assertThat(retried[1]).isBetween(PICKS * 45 / 100, PICKS * 55 / 100);
    }

    @Test
    void withNothingAvailableAnywhereTheOriginalLoadStands() {
        Cluster c = cluster(140, new int[] {0, 0}, new int[] {1, 1});
        // Panic disabled and nothing healthy: the original pick finds no host, and so does the retry.
        assertThat(c.pick()).isNull();
        assertThat(c.pickExcluding(1L)).isNull();
    }

    @Test
    void theRetryPickAllocatesNothing() {
        Cluster c = cluster(140, new int[] {2, 1, 2}, new int[] {2, 2, 2});
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long sink = 0;
        for (int i = 0; i < 20_000; i++) {
            sink += c.pickExcluding(1L + (i & 2)).priority();
        }
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 100_000; i++) {
            sink += c.pickExcluding(1L + (i & 2)).priority();
        }
        long after = threads.getThreadAllocatedBytes(thread);
        assertThat(sink).isPositive();
        assertThat(after - before).as("bytes allocated by 100,000 retry picks").isLessThan(1024);
    }
}
