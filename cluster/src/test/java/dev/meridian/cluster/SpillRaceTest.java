package dev.meridian.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SpillConfig;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Picks from several threads while the control thread turns spill-over on and off, moves its
 * fraction every evaluation and takes the next priority's hosts away and back: every pick returns a
 * handle of the cluster's hosts, never null (priority 0 stays healthy throughout), and some picks
 * were diverted and some were not, so both kinds of state were read while they changed.
 */
class SpillRaceTest {

    private static final Locality HERE = Locality.of("r1", "z1", "");
    private static final Locality NEAR = Locality.of("r1", "z2", "");

    @Test
    @DisplayName("picks racing spill-over's evaluations and target changes never miss and never leave the cluster")
    void picksDuringEvaluations() throws Exception {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < 4; i++) {
            b.add(new Endpoint("10.0.0." + i, 80, HERE, Map.of(), 1, HealthStatus.HEALTHY, Endpoint.NO_PRIORITY), 0, 0);
            b.add(new Endpoint("10.0.1." + i, 80, NEAR, Map.of(), 1, HealthStatus.HEALTHY, Endpoint.NO_PRIORITY), 1, 0);
        }
        EndpointTable table = b.build();
        ManualClock clock = Clocks.manual();
        Cluster c = Cluster.builder(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST)
                        .spill(SpillConfig.of(1).withSmoothing(Duration.ZERO)).build())
                .endpoints(table).clock(clock).build();
        Set<Host> allowed = new HashSet<>(c.hosts());
        Host[] local = c.hosts().stream().filter(h -> h.priority() == 0).toArray(Host[]::new);

        int threads = 2;
        int picksEach = 300_000;
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<String> wrong = new AtomicReference<>();
        AtomicInteger diverted = new AtomicInteger();
        AtomicInteger kept = new AtomicInteger();
        AtomicInteger running = new AtomicInteger(threads);
        Thread[] pickers = new Thread[threads];
        for (int k = 0; k < threads; k++) {
            pickers[k] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                int away = 0;
                int home = 0;
                for (int i = 0; i < picksEach; i++) {
                    Host h = (i & 1) == 0 ? c.pick() : c.pickExcluding(i % 3 == 0 ? 2L : 0L);
                    if (h == null || !allowed.contains(h)) {
                        wrong.compareAndSet(null, "pick " + i + ": " + h);
                    } else if (h.priority() == 0) {
                        home++;
                    } else {
                        away++;
                    }
                }
                diverted.addAndGet(away);
                kept.addAndGet(home);
                running.decrementAndGet();
            });
            pickers[k].start();
        }
        start.countDown();
        int round = 0;
        int changes = 0;
        double last = 0;
        while (running.get() > 0) {
            // Requests in flight on the zone swing from idle to three times its capacity of 4.
            int load = round % 12;
            for (Host h : local) {
                while (h.activeRequests() < load) {
                    c.requestStarted(h);
                }
                while (h.activeRequests() > load) {
                    c.requestFinished(h);
                }
            }
            if (round % 50 == 25) {
                c.setHealth("10.0.1.0:80", HealthStatus.UNHEALTHY);
                c.setHealth("10.0.1.1:80", HealthStatus.UNHEALTHY);
                c.setHealth("10.0.1.2:80", HealthStatus.UNHEALTHY);
                c.setHealth("10.0.1.3:80", HealthStatus.UNHEALTHY);
            } else if (round % 50 == 40) {
                c.update(table);
            }
            clock.advance(c.nextDeadlineNanos() - clock.nanoTime());
            c.drain();
            double f = c.spill().fraction();
            changes += f != last ? 1 : 0;
            last = f;
            round++;
        }
        for (Thread t : pickers) {
            t.join();
        }
        assertThat(wrong.get()).isNull();
        assertThat(changes).as("fraction changes while the pickers ran").isGreaterThan(2);
        assertThat(diverted.get()).isPositive();
        assertThat(kept.get()).isPositive();
        assertThat(diverted.get() + kept.get()).isEqualTo(threads * picksEach);
    }
}
