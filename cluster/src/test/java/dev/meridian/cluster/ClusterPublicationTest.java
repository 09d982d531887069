package dev.meridian.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * How often a {@link Cluster} publishes: once per drained batch that changed what picks see,
 * however many hosts it ejects or returns, as Envoy's {@code onIntervalTimer}
 * ({@code source/common/upstream/outlier_detection_impl.cc}) changes host health during one pass and
 * the priority set is recomputed from the result. The listener hears each event with the snapshot
 * already showing the whole batch.
 */
class ClusterPublicationTest {

    private static final long SECOND = 1_000_000_000L;

    private final ManualClock clock = Clocks.manual();
    /** Per event: the event, then how many hosts the published plan counted healthy when it was told. */
    private final List<String> seen = new ArrayList<>();
    private Cluster cluster;

    private Cluster cluster(OutlierDetectionConfig config, int hosts) {
        cluster = Cluster.builder(LbConfig.builder().panicThreshold(0).build()).endpoints(Fixtures.hosts(hosts))
                .outlierDetection(config).clock(clock).random(RandomSource.seeded(1))
                .listener(new EjectionListener() {
                    @Override
                    public void onEjected(EndpointTable table, int hostId, EjectionType type, long at, long until) {
                        seen.add("eject " + hostId + " " + type + ", healthy " + healthy());
                    }

                    @Override
                    public void onReturned(EndpointTable table, int hostId, long at) {
                        seen.add("return " + hostId + ", healthy " + healthy());
                    }
                }).build();
        return cluster;
    }

    private int healthy() {
        return cluster.plan().priorities().get(0).healthy();
    }

    private static void fail(Cluster c, int host) {
        for (int i = 0; i < 5; i++) {
            c.record(c.hosts().get(host), 500);
        }
    }

    @Test
    @DisplayName("each drain that ejects publishes once; a batch of three ejections publishes once; a sweep returning three publishes once")
    void oneSnapshotPerBatch() {
        Cluster c = cluster(OutlierDetectionConfig.builder().maxEjectionPercent(100).build(), 10);
        assertThat(c.publications()).as("the first snapshot").isEqualTo(1);
        fail(c, 0);
        assertThat(c.hosts().get(0).isEjected()).as("recording decides nothing by itself").isFalse();
        c.drain();
        fail(c, 1);
        c.drain();
        assertThat(c.publications()).isEqualTo(3);
        fail(c, 2);
        fail(c, 3);
        fail(c, 4);
        c.drain();
        assertThat(c.publications()).as("three ejections in one batch, one publication").isEqualTo(4);
        assertThat(seen).containsExactly(
                "eject 0 CONSECUTIVE_5XX, healthy 9", "eject 1 CONSECUTIVE_5XX, healthy 8",
                "eject 2 CONSECUTIVE_5XX, healthy 5", "eject 3 CONSECUTIVE_5XX, healthy 5",
                "eject 4 CONSECUTIVE_5XX, healthy 5");

        clock.advance(20 * SECOND);
        c.drain();
        assertThat(c.detector().ejectedCount()).as("the sweep at 20s returns none: ejected for 30s").isEqualTo(5);
        assertThat(c.publications()).isEqualTo(4);
        clock.advance(10 * SECOND);
        assertThat(c.drain()).isPositive();
        assertThat(c.detector().ejectedCount()).isZero();
        assertThat(c.publications()).as("one publication for the sweep's five returns").isEqualTo(5);
        assertThat(seen.subList(5, 10)).as("the listener hears each return with all five applied")
                .allMatch(line -> line.endsWith("healthy 10"));

        clock.advance(10 * SECOND);
        c.drain();
        assertThat(c.publications()).as("a sweep that changes nothing publishes nothing").isEqualTo(5);
        assertThat(c.drain()).as("nothing due, nothing queued").isZero();
    }

    @Test
    @DisplayName("a sweep that ejects two hosts by success rate and returns one publishes one snapshot")
    void sweepEjectingAndReturningPublishesOnce() {
        Cluster c = cluster(OutlierDetectionConfig.builder().maxEjectionPercent(100).build(), 20);
        fail(c, 19);
        c.drain();
        clock.advance(30 * SECOND);
        // Host 19 is ejected and sends nothing; the other 19 give {50, 50, 100 x 17}: mean 94.7,
        // stdev 15.3, threshold 94.7 - 1.9 x 15.3 = 65.6 (successRateEjectionThreshold).
        for (int i = 0; i < 100; i++) {
            c.record(c.hosts().get(0), i % 2 == 0 ? 500 : 200);
            c.record(c.hosts().get(1), i % 2 == 0 ? 500 : 200);
            for (int h = 2; h < 19; h++) {
                c.record(c.hosts().get(h), 200);
            }
        }
        long before = c.publications();
        c.drain();
        assertThat(c.detector().ejectedHosts().toString()).isEqualTo("{0, 1}");
        assertThat(c.publications() - before).isEqualTo(1);
        assertThat(seen.subList(1, 4)).containsExactly(
                "return 19, healthy 18", "eject 0 SUCCESS_RATE, healthy 18", "eject 1 SUCCESS_RATE, healthy 18");
    }

    @Test
    @DisplayName("an update publishes once, with the ejections carried over by address and the same handles")
    void updatePublishesOnce() {
        Cluster c = cluster(OutlierDetectionConfig.builder().maxEjectionPercent(100).build(), 4);
        Host third = c.hosts().get(3);
        fail(c, 3);
        c.drain();
        long before = c.publications();
        EndpointTable next = Fixtures.hosts(5);
        c.update(next);
        assertThat(c.table()).as("commands wait for the drain").isNotSameAs(next);
        c.drain();
        assertThat(c.publications() - before).isEqualTo(1);
        assertThat(c.table()).isSameAs(next);
        assertThat(c.hosts().get(3)).as("the same handle for the same address").isSameAs(third);
        assertThat(third.isEjected()).isTrue();
        assertThat(healthy()).isEqualTo(4);
    }
}
