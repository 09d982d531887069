package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Round robin's sequences are striped by thread; every thread's run of picks must still be a
 * complete rotation (plain round robin, {@code RoundRobinLoadBalancer} in Envoy's
 * {@code source/common/upstream/load_balancer_impl.cc}) or keep weighted shares, whichever stripe
 * it lands on and whichever thread used that stripe before. Threads run one after another (each
 * joined before the next starts), so the counts are exact, with no timing involved.
 */
class StripedRotationTest {

    private static EndpointTable table(int... weights) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < weights.length; i++) {
            b.add(Tables.endpoint(i, Tables.X, HealthStatus.HEALTHY, weights[i]), 0, 0);
        }
        return b.build();
    }

    /** Picks {@code picks} times on a new thread and counts each host. */
    private static int[] pickOnNewThread(LoadBalancer lb, int hosts, int picks) throws InterruptedException {
        int[] counts = new int[hosts];
        Thread t = new Thread(() -> {
            for (int i = 0; i < picks; i++) {
                counts[lb.pick()]++;
            }
        });
        t.start();
        t.join();
        return counts;
    }

    @Test
    @DisplayName("equal weights: each thread's 7 × n consecutive picks visit every host exactly 7 times")
    void everyThreadRotatesCompletely() throws InterruptedException {
        LoadBalancer lb = Tables.balancer(LbConfig.defaults(), table(1, 1, 1, 1, 1));
        for (int thread = 0; thread < 12; thread++) {
            assertThat(pickOnNewThread(lb, 5, 35)).containsOnly(7);
        }
    }

    @Test
    @DisplayName("weights 1, 2, 3, 4: each thread's 1,000 picks are within a few picks of weight over total")
    void everyThreadKeepsWeightedShares() throws InterruptedException {
        LoadBalancer lb = Tables.balancer(LbConfig.defaults(), table(1, 2, 3, 4));
        for (int thread = 0; thread < 12; thread++) {
            int[] counts = pickOnNewThread(lb, 4, 1000);
            for (int h = 0; h < 4; h++) {
                assertThat((double) counts[h]).isCloseTo(100.0 * (h + 1), Offset.offset(4.0));
            }
        }
    }
}
