package dev.meridian.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.LoadPlan;
import dev.meridian.lb.SpillConfig;
import dev.meridian.lb.SpillState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Spill-over through {@link Cluster} on virtual time, with a closed traffic loop: every evaluation
 * interval the requests of the previous interval finish and {@code demand} new ones are picked and
 * started, so the requests in flight on priority 0 are those the spill left it, as on a caller whose
 * requests each take one interval. Priority 0 is four hosts in the caller's zone at 10 requests in
 * flight each (capacity 40), priority 1 four hosts in the next zone.
 */
class SpillOverTest {

    private static final Locality HERE = Locality.of("r1", "z1", "");
    private static final Locality NEAR = Locality.of("r1", "z2", "");
    private static final long INTERVAL = 500_000_000L;
    private static final SpillConfig SPILL = SpillConfig.of(10);
    private static final double CAPACITY = 40;

    private final ManualClock clock = Clocks.manual();

    private static EndpointTable table(HealthStatus near) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < 4; i++) {
            b.add(new Endpoint("10.0.0." + i, 80, HERE, Map.of(), 1, HealthStatus.HEALTHY, Endpoint.NO_PRIORITY), 0, 0);
        }
        for (int i = 0; i < 4; i++) {
            b.add(new Endpoint("10.0.1." + i, 80, NEAR, Map.of(), 1, near, Endpoint.NO_PRIORITY), 1, 0);
        }
        return b.build();
    }

    private Cluster cluster(LbConfig config, EndpointTable table) {
        return Cluster.builder(config).endpoints(table).clock(clock).random(RandomSource.seeded(21)).build();
    }

    /** The closed loop: one caller's requests against one cluster. */
    private final class Traffic {
        final Cluster cluster;
        final List<Host> inFlight = new ArrayList<>();
        final List<String> picked = new ArrayList<>();

        Traffic(Cluster cluster) {
            this.cluster = cluster;
        }

        /** One interval at {@code demand} × capacity: finish, pick and start, advance, drain. */
        SpillState interval(double demand) {
            for (Host h : inFlight) {
                cluster.requestFinished(h);
            }
            inFlight.clear();
            for (int i = 0; i < Math.round(demand * CAPACITY); i++) {
                Host h = cluster.pick();
                picked.add(h.address());
                cluster.requestStarted(h);
                inFlight.add(h);
            }
            clock.advance(INTERVAL);
            cluster.drain();
            return cluster.spill();
        }

        SpillState run(double demand, int intervals) {
            SpillState s = null;
            for (int i = 0; i < intervals; i++) {
                s = interval(demand);
            }
            return s;
        }
    }

    /** The share of {@code n} picks that reach priority 1, with no drain in between. */
    private static double divertedShare(Cluster c, int n) {
        int elsewhere = 0;
        for (int i = 0; i < n; i++) {
            if (c.pick().priority() == 1) {
                elsewhere++;
            }
        }
        return elsewhere / (double) n;
    }

    @Test
    @DisplayName("below the spill threshold the picks are those of a cluster without spill-over, one for one")
    void underTheThresholdPicksAreEnvoys() {
        Traffic with = new Traffic(cluster(LbConfig.defaults().withSpill(SPILL), table(HealthStatus.HEALTHY)));
        Traffic without = new Traffic(Cluster.builder(LbConfig.defaults()).endpoints(table(HealthStatus.HEALTHY))
                .clock(Clocks.manual()).random(RandomSource.seeded(21)).build());
        for (int i = 0; i < 60; i++) {
            double demand = 0.3 + 0.45 * (i % 7) / 6.0;  // up to 0.75, under 0.8
            SpillState s = with.interval(demand);
            without.interval(demand);
            assertThat(s.active()).isFalse();
            assertThat(s.fraction()).isZero();
        }
        assertThat(with.picked).hasSize(without.picked.size()).isEqualTo(without.picked);
        assertThat(with.picked).allMatch(a -> a.startsWith("10.0.0."));
    }

    @Test
    @DisplayName("above it the excess over the release threshold goes to the next priority, in proportion")
    void aboveTheThresholdTheExcessSpills() {
        for (double demand : new double[] {1.0, 2.0, 3.0}) {
            Cluster c = cluster(LbConfig.defaults().withSpill(SPILL), table(HealthStatus.HEALTHY));
            SpillState s = new Traffic(c).run(demand, 60);
            assertThat(s.active()).isTrue();
            assertThat(s.targetPriority()).isEqualTo(1);
            // The demand estimate sees the whole demand while the zone carries 0.6 of its capacity.
            assertThat(s.demand()).as("demand %s", demand).isCloseTo(demand, within(0.15 * demand));
            assertThat(s.utilization()).as("demand %s", demand).isCloseTo(0.6, within(0.1));
            assertThat(s.fraction()).as("demand %s", demand).isCloseTo(1 - 0.6 / demand, within(0.05));
            // What the picks do is what the state says.
            int n = 100_000;
            double p = s.fraction();
            assertThat(divertedShare(c, n)).isCloseTo(p, within(5 * Math.sqrt(p * (1 - p) / n)));
        }
    }

    @Test
    @DisplayName("a load that wanders between the two thresholds does not toggle spill on or off")
    void hysteresis() {
        Cluster c = cluster(LbConfig.defaults().withSpill(SPILL), table(HealthStatus.HEALTHY));
        Traffic t = new Traffic(c);
        int toggles = 0;
        boolean last = false;
        for (int i = 0; i < 120; i++) {
            SpillState s = t.interval(i % 4 < 2 ? 0.68 : 0.76);
            toggles += s.active() != last ? 1 : 0;
            last = s.active();
        }
        assertThat(toggles).isZero();
        SpillState on = t.run(1.5, 20);
        assertThat(on.active()).isTrue();
        long since = on.sinceNanos();
        for (int i = 0; i < 120; i++) {
            SpillState s = t.interval(i % 4 < 2 ? 0.68 : 0.76);
            assertThat(s.active()).isTrue();
            assertThat(s.sinceNanos()).isEqualTo(since);
            assertThat(s.fraction()).isPositive();
        }
    }

    @Test
    @DisplayName("when the load drops, spill stops and priority 0 takes all its picks again")
    void returnsWhenTheLoadDrops() {
        Cluster c = cluster(LbConfig.defaults().withSpill(SPILL), table(HealthStatus.HEALTHY));
        Traffic t = new Traffic(c);
        assertThat(t.run(2.0, 40).active()).isTrue();
        SpillState s = t.run(0.3, 40);
        assertThat(s.active()).isFalse();
        assertThat(s.fraction()).isZero();
        assertThat(divertedShare(c, 10_000)).isZero();
        // It stopped within a few time constants (2 s = 4 intervals) of the drop.
        assertThat(s.sinceNanos()).isLessThan(clock.nanoTime() - 20 * INTERVAL);
    }

    @Test
    @DisplayName("with no healthy host at the next priority nothing is diverted")
    void noTargetNoDiversion() {
        Cluster c = cluster(LbConfig.defaults().withSpill(SPILL), table(HealthStatus.UNHEALTHY));
        Traffic t = new Traffic(c);
        SpillState s = t.run(2.0, 20);
        assertThat(s.active()).isTrue();
        assertThat(s.targetPriority()).isEqualTo(-1);
        assertThat(s.fraction()).isZero();
        assertThat(s.demand()).isCloseTo(2.0, within(0.05));
        assertThat(divertedShare(c, 10_000)).isZero();
        // The next priority heals: the next evaluation spills to it.
        c.setHealth("10.0.1.0:80", HealthStatus.HEALTHY);
        c.setHealth("10.0.1.1:80", HealthStatus.HEALTHY);
        s = t.run(2.0, 1);
        assertThat(s.targetPriority()).isEqualTo(1);
        assertThat(s.fraction()).isPositive();
    }

    @Test
    @DisplayName("spill() and the plan show the state and the load; none without the configuration")
    void observability() {
        Cluster off = cluster(LbConfig.defaults(), table(HealthStatus.HEALTHY));
        assertThat(off.spill()).isNull();
        assertThat(off.plan().spill()).isNull();

        Cluster c = cluster(LbConfig.defaults().withSpill(SPILL), table(HealthStatus.HEALTHY));
        SpillState rest = c.spill();
        assertThat(rest).isEqualTo(SpillState.atRest(CAPACITY, 1, 0));
        assertThat(c.nextDeadlineNanos()).isEqualTo(INTERVAL);
        assertThat(c.drain()).as("not due yet").isZero();
        Traffic t = new Traffic(c);
        SpillState s = t.run(2.0, 30);
        LoadPlan plan = c.plan();
        assertThat(plan.spill().config()).isEqualTo(SPILL);
        assertThat(plan.spill().state()).isEqualTo(s);
        assertThat(plan.priorities().get(0).healthyLoad()).isEqualTo(100);
        assertThat(plan.priorities().get(0).localities().get(0).share())
                .isCloseTo(100 * (1 - s.fraction()), within(1e-9));
        assertThat(plan.priorities().get(1).localities().get(0).share()).isCloseTo(100 * s.fraction(), within(1e-9));
        assertThat(c.nextDeadlineNanos()).isEqualTo(clock.nanoTime() + INTERVAL);
        long publications = c.publications();
        t.run(2.0, 3);
        assertThat(c.publications()).as("evaluations publish the decision with the same snapshot").isEqualTo(publications);
    }

    @Test
    @DisplayName("turning it off restores Envoy's picks at once; a changed configuration starts at rest")
    void reconfiguring() {
        Cluster c = cluster(LbConfig.defaults().withSpill(SPILL), table(HealthStatus.HEALTHY));
        Traffic t = new Traffic(c);
        assertThat(t.run(2.0, 30).fraction()).isPositive();
        c.configure(LbConfig.defaults().withSpill(SPILL.withThresholds(3.0, 2.5)));
        c.drain();
        assertThat(c.spill().active()).isFalse();
        assertThat(c.spill().fraction()).isZero();
        assertThat(divertedShare(c, 10_000)).isZero();
        assertThat(t.run(2.0, 30).active()).as("2.0 is under the new spill threshold").isFalse();
        c.configure(LbConfig.defaults());
        c.drain();
        assertThat(c.spill()).isNull();
        assertThat(c.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(t.run(3.0, 10)).isNull();
        assertThat(divertedShare(c, 10_000)).isZero();
    }

    @Test
    @DisplayName("an unchanged spill configuration keeps its averages across a balancing change")
    void unchangedConfigurationKeepsItsState() {
        Cluster c = cluster(LbConfig.defaults().withSpill(SPILL), table(HealthStatus.HEALTHY));
        SpillState before = new Traffic(c).run(2.0, 30);
        c.configure(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).spill(SPILL).build());
        c.drain();
        assertThat(c.spill()).isEqualTo(before);
        assertThat(divertedShare(c, 100_000)).isCloseTo(before.fraction(), within(0.01));
    }

    @Test
    @DisplayName("picks, retries and the least-request pair allocate nothing while spilling (the JVM's per-thread counter)")
    void spillingPicksAllocateNothing() {
        Cluster c = cluster(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).spill(SPILL).build(),
                table(HealthStatus.HEALTHY));
        assertThat(new Traffic(c).run(2.0, 30).fraction()).isGreaterThan(0.5);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long sink = requests(c, 100_000);
        long before = threads.getThreadAllocatedBytes(thread);
        sink += requests(c, 100_000);
        long after = threads.getThreadAllocatedBytes(thread);
        assertThat(sink).isNotZero();
        assertThat(after - before).as("bytes allocated by 100,000 spilling requests").isLessThan(1024);
    }

    private static long requests(Cluster c, int n) {
        long sink = 1;
        for (int i = 0; i < n; i++) {
            Host h = (i & 3) == 0 ? c.pickExcluding(1L << 1) : c.pick();
            c.requestStarted(h);
            c.requestFinished(h);
            sink += h.priority() + 1;
        }
        return sink;
    }

    @Test
    @DisplayName("a retry that excludes the priority a diverted pick reached stays in priority 0")
    void retriesExcludingTheTarget() {
        Cluster c = cluster(LbConfig.defaults().withSpill(SPILL), table(HealthStatus.HEALTHY));
        assertThat(new Traffic(c).run(3.0, 30).fraction()).isGreaterThan(0.5);
        for (int i = 0; i < 10_000; i++) {
            Host first = c.pick();
            if (first.priority() == 1) {
                assertThat(c.pickExcluding(1L << first.priority()).priority()).isZero();
            }
        }
    }
}
