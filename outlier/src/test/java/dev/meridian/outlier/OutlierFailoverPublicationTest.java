package dev.meridian.outlier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LoadBalancer;
import java.util.ArrayList;
import java.util.List;
import dev.meridian.core.ManualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * How often {@link OutlierFailover} rebuilds the balancer's snapshot: once per detector transition,
 * however many hosts it ejects or returns, as Envoy's {@code onIntervalTimer}
 * ({@code source/common/upstream/outlier_detection_impl.cc}) changes host health during one pass and
 * the priority set is recomputed from the result. The caller's listener hears each event with the
 * balancer already showing the whole transition.
 */
class OutlierFailoverPublicationTest {

    private static final long SECOND = 1_000_000_000L;

    private final ManualClock clock = Clocks.manual();
    /** Per event: the event, then how many hosts the balancer counted healthy when it was told. */
    private final List<String> seen = new ArrayList<>();

    private OutlierFailover bind(OutlierDetectionConfig config, int hosts) {
        LoadBalancer balancer = LoadBalancer.create(LbConfig.builder().panicThreshold(0).build(), Fixtures.hosts(hosts),
                RandomSource.seeded(1), clock);
        return OutlierFailover.bind(balancer, config, RandomSource.seeded(2), clock, new EjectionListener() {
            @Override
            public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
                seen.add("eject " + hostId + " " + type + ", healthy " + balancer.plan().priorities().get(0).healthy());
            }

            @Override
            public void onReturned(EndpointTable table, int hostId, long atNanos) {
                seen.add("return " + hostId + ", healthy " + balancer.plan().priorities().get(0).healthy());
            }
        });
    }

    private static void fail(OutlierDetector d, int host) {
        for (int i = 0; i < 5; i++) {
            d.record(host, 500);
        }
    }

    @Test
    @DisplayName("a sweep that returns three hosts publishes one snapshot; each consecutive-failure ejection publishes its own")
    void sweepReturningManyHostsPublishesOnce() {
        OutlierFailover failover = bind(OutlierDetectionConfig.builder().maxEjectionPercent(100).build(), 10);
        OutlierDetector d = failover.detector();
        assertThat(failover.publications()).as("bind clears the balancer's ejections").isEqualTo(1);
        fail(d, 0);
        fail(d, 1);
        fail(d, 2);
        assertThat(failover.publications()).isEqualTo(4);
        assertThat(seen).containsExactly(
                "eject 0 CONSECUTIVE_5XX, healthy 9", "eject 1 CONSECUTIVE_5XX, healthy 8",
                "eject 2 CONSECUTIVE_5XX, healthy 7");

        clock.advance(30 * SECOND);
        d.sweep();
        assertThat(d.ejectedCount()).isZero();
        assertThat(failover.publications()).as("one publication for the sweep's three returns").isEqualTo(5);
        assertThat(seen.subList(3, 6)).as("the listener hears each return with all three applied")
                .containsExactly("return 0, healthy 10", "return 1, healthy 10", "return 2, healthy 10");

        clock.advance(10 * SECOND);
        d.sweep();
        assertThat(failover.publications()).as("a sweep that changes nothing publishes nothing").isEqualTo(5);
    }

    @Test
    @DisplayName("a sweep that ejects two hosts by success rate and returns one publishes one snapshot")
    void sweepEjectingAndReturningPublishesOnce() {
        OutlierFailover failover = bind(OutlierDetectionConfig.builder().maxEjectionPercent(100).build(), 20);
        OutlierDetector d = failover.detector();
        fail(d, 19);
        clock.advance(30 * SECOND);
        // Host 19 is ejected and sends nothing; the other 19 give {50, 50, 100 x 17}: mean 94.7,
        // stdev 15.3, threshold 94.7 - 1.9 x 15.3 = 65.6 (successRateEjectionThreshold).
        for (int i = 0; i < 100; i++) {
            d.record(0, i % 2 == 0 ? 500 : 200);
            d.record(1, i % 2 == 0 ? 500 : 200);
            for (int h = 2; h < 19; h++) {
                d.record(h, 200);
            }
        }
        long before = failover.publications();
        d.sweep();
        assertThat(d.ejectedHosts().toString()).isEqualTo("{0, 1}");
        assertThat(failover.publications() - before).isEqualTo(1);
        assertThat(seen.subList(1, 4)).containsExactly(
                "return 19, healthy 18", "eject 0 SUCCESS_RATE, healthy 18", "eject 1 SUCCESS_RATE, healthy 18");
    }

    @Test
    @DisplayName("an update through the binding publishes once, with the carried-over ejections")
    void updatePublishesOnce() {
        OutlierFailover failover = bind(OutlierDetectionConfig.builder().maxEjectionPercent(100).build(), 4);
        fail(failover.detector(), 3);
        long before = failover.publications();
        EndpointTable next = Fixtures.hosts(5);
        failover.update(next);
        assertThat(failover.publications() - before).isEqualTo(1);
        assertThat(failover.balancer().table()).isSameAs(next);
        assertThat(failover.balancer().plan().priorities().get(0).healthy()).isEqualTo(4);
    }
}
