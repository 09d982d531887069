package dev.meridian.lb.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.SpillConfig;
import dev.meridian.lb.SpillState;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The spill-over control loop on virtual time: the thresholds and their band, the demand estimate
 * that keeps spill on while spill itself holds the locality's load down, smoothing, capacity, and
 * what happens without a priority to spill to. Requests in flight are set directly on the counters
 * least request reads.
 */
class SpillControllerTest {

    private static final Locality HERE = Locality.of("r1", "z1", "");
    private static final Locality NEAR = Locality.of("r1", "z2", "");
    private static final long MS = 1_000_000L;
    private static final long INTERVAL = 500 * MS;
    /** 10 requests in flight per unit of weight, no smoothing: each evaluation takes its sample as it is. */
    private static final SpillConfig RAW = SpillConfig.of(10).withSmoothing(Duration.ZERO);

    /** Four hosts at priority 0 in the caller's zone and four at priority 1, with these health states. */
    private static EndpointTable table(HealthStatus p0, HealthStatus p1) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < 4; i++) {
            b.add(new Endpoint("10.0.0." + i, 80, HERE, Map.of(), 1, p0, Endpoint.NO_PRIORITY), 0, 0);
        }
        for (int i = 0; i < 4; i++) {
            b.add(new Endpoint("10.0.1." + i, 80, NEAR, Map.of(), 1, p1, Endpoint.NO_PRIORITY), 1, 0);
        }
        return b.build();
    }

    private static final class Rig {
        final ActiveRequests.Striped active;
        final Snapshot picker;
        final SpillController loop;
        long now;

        Rig(SpillConfig spill, EndpointTable table, boolean[] ejected) {
            active = ActiveRequests.striped(table.size());
            long[] since = new long[table.size()];
            Arrays.fill(since, Snapshot.ESTABLISHED);
            picker = Snapshot.build(LbConfig.defaults().withSpill(spill), table, ejected, active, since,
                    RandomSource.seeded(1), 0);
            loop = new SpillController(spill, picker, 0);
        }

        Rig(SpillConfig spill) {
            this(spill, table(HealthStatus.HEALTHY, HealthStatus.HEALTHY), new boolean[8]);
        }

        /** Puts {@code inFlight} requests on priority 0's four hosts and evaluates one interval later. */
        SpillState localInFlight(int inFlight) {
            for (int h = 0; h < 4; h++) {
                active.set(h, inFlight / 4 + (h < inFlight % 4 ? 1 : 0));
            }
            now += INTERVAL;
            assertThat(loop.nextEvaluationNanos()).isEqualTo(now);
            loop.evaluate(picker, now);
            return loop.state();
        }

        /**
         * Offers a demand of {@code utilization} × capacity (40): priority 0 carries the part the
         * fraction in force leaves it, as it would once the picks of one interval are in flight.
         */
        SpillState demand(double utilization) {
            return localInFlight((int) Math.round(utilization * 40 * (1 - loop.fraction())));
        }
    }

    @Test
    void belowTheSpillThresholdNothingIsDiverted() {
        Rig rig = new Rig(RAW);
        SpillState s = rig.localInFlight(31);  // 0.775 of 40
        assertThat(s.active()).isFalse();
        assertThat(s.fraction()).isZero();
        assertThat(s.utilization()).isEqualTo(31 / 40.0);
        assertThat(s.demand()).isEqualTo(31 / 40.0);
        assertThat(s.capacity()).isEqualTo(40.0);
        assertThat(s.targetPriority()).isEqualTo(1);
        assertThat(s.sinceNanos()).isZero();
        assertThat(s.evaluatedAtNanos()).isEqualTo(INTERVAL);
    }

    @Test
    void atTheSpillThresholdTheExcessOverTheReleaseThresholdGoes() {
        Rig rig = new Rig(RAW);
        SpillState s = rig.localInFlight(40);  // utilization 1.0
        assertThat(s.active()).isTrue();
        assertThat(s.sinceNanos()).isEqualTo(INTERVAL);
        // Priority 0 is held at the release threshold: 1 - 0.6 / 1.0 of its picks go.
        assertThat(s.fraction()).isCloseTo(0.4, within(1e-12));
        // With 40% diverted the zone carries 24 (0.6), yet the estimate still sees the demand of 40.
        s = rig.localInFlight(24);
        assertThat(s.utilization()).isCloseTo(0.6, within(1e-12));
        assertThat(s.demand()).isCloseTo(1.0, within(1e-12));
        assertThat(s.active()).isTrue();
        assertThat(s.fraction()).isCloseTo(0.4, within(1e-12));
        assertThat(s.sinceNanos()).isEqualTo(INTERVAL);
    }

    @Test
    void theFractionIsProportionalToTheExcess() {
        for (double demand : new double[] {0.8, 1.2, 2.0, 4.0}) {
            Rig rig = new Rig(RAW);
            SpillState s = rig.demand(demand);
            for (int i = 0; i < 5; i++) {
                s = rig.demand(demand);
            }
            assertThat(s.active()).isTrue();
            // Rounding the offered requests in flight to whole requests moves the estimate a little.
            assertThat(s.fraction()).as("demand %s", demand).isCloseTo(1 - 0.6 / demand, within(0.02));
        }
    }

    @Test
    void loadInsideTheBandKeepsTheStateItEnteredWith() {
        Rig rig = new Rig(RAW);
        // Inactive: demand wanders between the release (0.6) and spill (0.8) thresholds.
        for (int i = 0; i < 20; i++) {
            SpillState s = rig.demand(i % 2 == 0 ? 0.65 : 0.775);
            assertThat(s.active()).isFalse();
            assertThat(s.fraction()).isZero();
        }
        SpillState on = rig.demand(0.9);
        assertThat(on.active()).isTrue();
        long since = on.sinceNanos();
        // Active: the same wandering keeps it on, diverting the excess over 0.6 each time.
        for (int i = 0; i < 20; i++) {
            double demand = i % 2 == 0 ? 0.65 : 0.775;
            SpillState s = rig.demand(demand);
            assertThat(s.active()).isTrue();
            assertThat(s.sinceNanos()).isEqualTo(since);
            assertThat(s.fraction()).isCloseTo(1 - 0.6 / demand, within(0.03)).isPositive();
        }
        // Below the release threshold it stops, and priority 0 takes all its picks again.
        SpillState off = rig.demand(0.5);
        assertThat(off.active()).isFalse();
        assertThat(off.fraction()).isZero();
        assertThat(off.sinceNanos()).isEqualTo(rig.now);
        assertThat(rig.demand(0.7).active()).isFalse();
    }

    @Test
    void withoutTheDemandEstimateSpillWouldStopWhileTheDemandLasts() {
        // What the estimate is for: held at 0.6, the zone's own load alone would end spill as soon
        // as it dips below the release threshold, with the demand unchanged.
        Rig rig = new Rig(RAW);
        rig.demand(1.0);
        SpillState s = rig.localInFlight(23);  // 0.575 on the zone, with 40% diverted
        assertThat(s.utilization()).isLessThan(0.6);
        assertThat(s.demand()).isCloseTo(23 / 40.0 / 0.6, within(1e-12)).isGreaterThan(0.6);
        assertThat(s.active()).isTrue();
    }

    @Test
    void smoothingWeighsEachSampleByTheTimeSinceThePrevious() {
        Rig rig = new Rig(SpillConfig.of(10));  // 2 s time constant
        SpillState s = rig.localInFlight(80);  // a step to 2.0 from rest
        double w = 1 - Math.exp(-0.25);
        assertThat(s.utilization()).isCloseTo(2.0 * w, within(1e-12));
        assertThat(s.active()).isFalse();  // 0.44 < 0.8: one sample is not enough
        s = rig.localInFlight(80);
        assertThat(s.utilization()).isCloseTo(2.0 * w + (2.0 - 2.0 * w) * w, within(1e-12));
        // An evaluation that runs late weighs its sample more: 2 s after the previous, 1 - 1/e.
        double before = s.demand();
        rig.now += 1_500 * MS;
        rig.loop.evaluate(rig.picker, rig.now + INTERVAL);
        rig.now += INTERVAL;
        assertThat(rig.loop.state().demand()).isCloseTo(before + (2.0 - before) * (1 - Math.exp(-1)), within(1e-12));
        assertThat(rig.loop.nextEvaluationNanos()).isEqualTo(rig.now + INTERVAL);
    }

    @Test
    void aVeryLargeDemandKeepsSomePicksLocal() {
        Rig rig = new Rig(RAW);
        SpillState s = rig.localInFlight(4000);  // 100 × capacity
        assertThat(s.fraction()).isEqualTo(SpillController.MAX_FRACTION);
    }

    @Test
    void withoutAPriorityToSpillToNothingIsDiverted() {
        Rig rig = new Rig(RAW, table(HealthStatus.HEALTHY, HealthStatus.UNHEALTHY), new boolean[8]);
        SpillState s = rig.localInFlight(60);
        assertThat(s.targetPriority()).isEqualTo(-1);
        assertThat(s.active()).isTrue();
        assertThat(s.fraction()).isZero();
        // Nothing was diverted, so the zone's load is the whole demand.
        s = rig.localInFlight(60);
        assertThat(s.demand()).isEqualTo(1.5);
    }

    @Test
    void capacityCountsTheAvailableHostsByWeightOrTheConfiguredLocalityShare() {
        EndpointTable.Builder b = EndpointTable.builder();
        b.add(new Endpoint("10.0.0.1", 80, HERE, Map.of(), 2, HealthStatus.HEALTHY, Endpoint.NO_PRIORITY), 0, 0);
        b.add(new Endpoint("10.0.0.2", 80, HERE, Map.of(), 1, HealthStatus.DEGRADED, Endpoint.NO_PRIORITY), 0, 0);
        b.add(new Endpoint("10.0.0.3", 80, HERE, Map.of(), 1, HealthStatus.UNHEALTHY, Endpoint.NO_PRIORITY), 0, 0);
        b.add(new Endpoint("10.0.0.4", 80, HERE, Map.of(), 1, HealthStatus.HEALTHY, Endpoint.NO_PRIORITY), 0, 0);
        b.add(new Endpoint("10.0.1.1", 80, NEAR, Map.of(), 1, HealthStatus.HEALTHY, Endpoint.NO_PRIORITY), 1, 0);
        EndpointTable t = b.build();
        // Weights 2 + 1 (degraded counts) + 1; the unhealthy host and the ejected one serve nothing.
        boolean[] none = new boolean[5];
        assertThat(new Rig(RAW, t, none).picker.spillCapacity()).isEqualTo(40.0);
        boolean[] firstEjected = {true, false, false, false, false};
        assertThat(new Rig(RAW, t, firstEjected).picker.spillCapacity()).isEqualTo(20.0);
        // A configured capacity for the locality is shared by its hosts: 2 of 4 are available.
        SpillConfig byLocality = RAW.withLocalityCapacity(Map.of(HERE, 100.0));
        assertThat(new Rig(byLocality, t, firstEjected).picker.spillCapacity()).isEqualTo(50.0);
        // No available host: no capacity, no spill (health-based failover moves the load).
        Rig down = new Rig(RAW, table(HealthStatus.UNHEALTHY, HealthStatus.HEALTHY), new boolean[8]);
        assertThat(down.picker.spillCapacity()).isZero();
        SpillState s = down.localInFlight(8);
        assertThat(s.active()).isFalse();
        assertThat(s.utilization()).isZero();
    }

    @Test
    void evaluateReportsWhetherTheFractionChanged() {
        Rig rig = new Rig(RAW);
        rig.localInFlight(10);
        rig.now += INTERVAL;
        assertThat(rig.loop.evaluate(rig.picker, rig.now)).isFalse();
        rig.active.set(0, 40);
        rig.now += INTERVAL;
        assertThat(rig.loop.evaluate(rig.picker, rig.now)).isTrue();
    }
}
