package dev.meridian.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Endpoint updates, outcomes from several threads and sweeps interleaved: every host that saw N
 * consecutive 5xx is ejected (Envoy's {@code consecutive_5xx}, {@code outlier_detection_impl.cc}),
 * and none twice. Written against the previous design first, where a balancer and a detector each
 * carried per-host state across an update by copying it: a run completing while the copy was made
 * was lost, its counter then ran past the threshold (which fires on equality) and that host could
 * never be ejected again; the same loop left 18,046 of 200,000 hosts un-ejected there. Here the
 * counters stay with the host's handle across updates, and the hand-over queue is made tiny so that
 * its overflow path (a pending mark plus a scan) is exercised as well.
 */
class CompletionRaceTest {

    private static final int HOSTS = 1000;
    private static final int FAILURES = 55;

    /** The set with the hosts in a rotated order, sometimes with one host missing for a moment. */
    private static EndpointTable shuffled(List<Endpoint> all, int round) {
        EndpointTable.Builder b = EndpointTable.builder();
        int n = all.size();
        for (int i = 0; i < n; i++) {
            b.add(all.get((i + round * 37) % n));
        }
        return b.build();
    }

    @ParameterizedTest(name = "completion queue capacity {0}")
    @ValueSource(ints = {2, 4096})
    void everyCompletedRunIsEjectedOnce(int capacity) throws Exception {
        List<Endpoint> all = new ArrayList<>();
        for (int i = 0; i < HOSTS; i++) {
            all.add(Endpoint.of(Fixtures.address(i), Locality.of("r1", "z1", "")));
        }
        int trials = 20;
        int notEjected = 0;
        int ejectedTwice = 0;
        for (int trial = 0; trial < trials; trial++) {
            ManualClock clock = Clocks.manual();
            Cluster cluster = Cluster.builder(LbConfig.builder().panicThreshold(0).build())
                    .endpoints(shuffled(all, 0)).completionQueueCapacity(capacity)
                    .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(100)
                            .interval(Duration.ofSeconds(1)).baseEjectionTime(Duration.ofHours(1)).build())
                    .clock(clock).random(RandomSource.seeded(trial)).build();
            CyclicBarrier start = new CyclicBarrier(3);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] recorders = new Thread[2];
            for (int k = 0; k < recorders.length; k++) {
                int first = k;
                recorders[k] = new Thread(() -> {
                    try {
                        start.await();
                        for (int h = first; h < HOSTS; h += 2) {
                            // The handle as a request thread gets it: from the snapshot of the moment.
                            Host host = cluster.host(Fixtures.address(h));
                            for (int i = 0; i < FAILURES; i++) {
                                cluster.record(host, 503);
                            }
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                recorders[k].start();
            }
            start.await();
            int round = 1;
            while (recorders[0].isAlive() || recorders[1].isAlive()) {
                cluster.update(shuffled(all, round++));
                clock.advance(Duration.ofMillis(500));
                cluster.drain();
            }
            recorders[0].join();
            recorders[1].join();
            assertThat(failure.get()).isNull();
            cluster.drain();
            for (Host h : cluster.hosts()) {
                if (!h.isEjected()) {
                    notEjected++;
                }
                if (cluster.detector().ejectionCount(cluster.table().indexOf(h.address())) > 1) {
                    ejectedTwice++;
                }
            }
        }
        assertThat(notEjected).as("hosts not ejected after %d consecutive 503", FAILURES).isZero();
        assertThat(ejectedTwice).as("hosts ejected twice for one outage").isZero();
    }
}
