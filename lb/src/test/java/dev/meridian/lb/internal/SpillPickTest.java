package dev.meridian.lb.internal;

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
import dev.meridian.lb.LocalityPlan;
import dev.meridian.lb.SpillConfig;
import dev.meridian.lb.SpillState;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The pick path under spill-over: a pick that lands in priority 0 is diverted with the given
 * probability to the first later priority with healthy hosts and not in panic, along that
 * priority's own route; no diversion without such a priority; retries that exclude the target are
 * not diverted; the hash policies divert by key. Shares are checked against a binomial bound: a
 * share of {@code p} over {@code n} picks is within 5 standard deviations ({@code 5 sqrt(p(1-p)/n)}),
 * which a correct picker misses about once in 3.5 million runs; the seeded sources make each run
 * the same.
 */
class SpillPickTest {

    private static final Locality HERE = Locality.of("r1", "z1", "");
    private static final Locality NEAR = Locality.of("r1", "z2", "");
    private static final Locality FAR = Locality.of("r1", "z3", "");
    private static final SpillConfig SPILL = SpillConfig.of(10);
    private static final int PICKS = 200_000;

    /** Priority 0: four hosts in the caller's zone; priority 1: two zones, two hosts each, locality weights 1 and 3. */
    private static EndpointTable table(HealthStatus p1) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < 4; i++) {
            b.add(endpoint("10.0.0." + i, HERE, HealthStatus.HEALTHY), 0, 1);
        }
        for (int i = 0; i < 2; i++) {
            b.add(endpoint("10.0.1." + i, NEAR, p1), 1, 1);
            b.add(endpoint("10.0.2." + i, FAR, p1), 1, 3);
        }
        return b.build();
    }

    private static Endpoint endpoint(String ip, Locality l, HealthStatus h) {
        return new Endpoint(ip, 80, l, Map.of(), 1, h, Endpoint.NO_PRIORITY);
    }

    private static Snapshot build(LbConfig config, EndpointTable table) {
        long[] since = new long[table.size()];
        Arrays.fill(since, Snapshot.ESTABLISHED);
        return Snapshot.build(config, table, new boolean[table.size()], ActiveRequests.striped(table.size()), since,
                RandomSource.seeded(3), 0);
    }

    private static double bound(double p) {
        return 5 * Math.sqrt(p * (1 - p) / PICKS);
    }

    @ParameterizedTest
    @EnumSource(LbPolicy.class)
    void theDivertedShareIsTheFraction(LbPolicy policy) {
        EndpointTable t = table(HealthStatus.HEALTHY);
        Snapshot s = build(LbConfig.builder().policy(policy).spill(SPILL).build(), t);
        assertThat(s.spillTargetPriority()).isEqualTo(1);
        RandomSource random = RandomSource.seeded(11);
        ManualClock clock = Clocks.manual();
        int elsewhere = 0;
        for (int i = 0; i < PICKS; i++) {
            int h = s.pick(random, clock, 0.3);
            assertThat(h).isBetween(0, t.size() - 1);
            if (t.priority(h) == 1) {
                elsewhere++;
            }
        }
        assertThat(elsewhere / (double) PICKS).isCloseTo(0.3, within(bound(0.3)));
    }

    @Test
    void aDivertedPickFollowsTheTargetsOwnRoute() {
        // Locality weights on: priority 1's zones take diverted picks 1 : 3.
        EndpointTable t = table(HealthStatus.HEALTHY);
        Snapshot s = build(LbConfig.builder().localityWeighted(true).spill(SPILL).build(), t);
        RandomSource random = RandomSource.seeded(12);
        int near = 0;
        int far = 0;
        for (int i = 0; i < PICKS; i++) {
            Locality l = t.endpoint(s.pick(random, Clocks.manual(), 0.5)).locality();
            if (l.equals(NEAR)) {
                near++;
            } else if (l.equals(FAR)) {
                far++;
            }
        }
        double diverted = (near + far) / (double) PICKS;
        assertThat(diverted).isCloseTo(0.5, within(bound(0.5)));
        assertThat(far / (double) (near + far)).isCloseTo(0.75, within(5 * Math.sqrt(0.75 * 0.25 / (near + far))));
    }

    @Test
    void onlyPriorityZerosPicksAreDiverted() {
        // One healthy host of four at priorities 0 and 1: Envoy gives them 35% each and priority 2
        // the other 30%; spill takes half of priority 0's 35% to priority 1 and leaves priority 2's.
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < 4; i++) {
            HealthStatus first = i == 0 ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY;
            b.add(endpoint("10.0.0." + i, HERE, first), 0, 0);
            b.add(endpoint("10.0.1." + i, NEAR, first), 1, 0);
            b.add(endpoint("10.0.2." + i, FAR, HealthStatus.HEALTHY), 2, 0);
        }
        EndpointTable t = b.build();
        Snapshot s = build(LbConfig.builder().panicThreshold(0).spill(SPILL).build(), t);
        assertThat(s.load().healthyLoad(0)).isEqualTo(35);
        assertThat(s.load().healthyLoad(2)).isEqualTo(30);
        assertThat(s.spillTargetPriority()).isEqualTo(1);
        RandomSource random = RandomSource.seeded(13);
        int[] byPriority = new int[3];
        for (int i = 0; i < PICKS; i++) {
            byPriority[t.priority(s.pick(random, Clocks.manual(), 0.5))]++;
        }
        assertThat(byPriority[0] / (double) PICKS).isCloseTo(0.175, within(bound(0.175)));
        assertThat(byPriority[1] / (double) PICKS).isCloseTo(0.525, within(bound(0.525)));
        assertThat(byPriority[2] / (double) PICKS).isCloseTo(0.30, within(bound(0.30)));
    }

    @Test
    void withoutAHealthyPriorityToSpillToNothingIsDiverted() {
        EndpointTable t = table(HealthStatus.UNHEALTHY);
        Snapshot s = build(LbConfig.builder().spill(SPILL).build(), t);
        assertThat(s.spillTargetPriority()).isEqualTo(-1);
        Snapshot reference = build(LbConfig.defaults(), t);
        RandomSource a = RandomSource.seeded(14);
        RandomSource b = RandomSource.seeded(14);
        for (int i = 0; i < 10_000; i++) {
            int h = s.pick(a, Clocks.manual(), 0.9);
            assertThat(t.priority(h)).isZero();
            assertThat(h).isEqualTo(reference.pick(b, Clocks.manual()));
        }
    }

    @Test
    void aPriorityInPanicIsNoTarget() {
        // Panic needs total availability below 100: priority 0 has nothing, priority 1 one healthy
        // host of five (health 28, 20% < 50%: in panic, its picks would reach unhealthy hosts),
        // priority 2 two of four (health 70, 50%: not in panic).
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < 5; i++) {
            if (i < 4) {
                b.add(endpoint("10.0.0." + i, HERE, HealthStatus.UNHEALTHY), 0, 0);
                b.add(endpoint("10.0.2." + i, FAR, i < 2 ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY), 2, 0);
            }
            b.add(endpoint("10.0.1." + i, NEAR, i == 0 ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY), 1, 0);
        }
        Snapshot s = build(LbConfig.builder().spill(SPILL).build(), b.build());
        assertThat(s.load().panic(1)).isTrue();
        assertThat(s.load().panic(2)).isFalse();
        assertThat(s.spillTargetPriority()).isEqualTo(2);
    }

    @Test
    void aRetryThatExcludesTheTargetIsNotDiverted() {
        EndpointTable t = table(HealthStatus.HEALTHY);
        Snapshot s = build(LbConfig.builder().spill(SPILL).build(), t);
        RandomSource random = RandomSource.seeded(15);
        for (int i = 0; i < 10_000; i++) {
            assertThat(t.priority(s.pickExcluding(1L << 1, random, Clocks.manual(), 0.9))).isZero();
        }
        // Excluding another priority (here one that does not exist) leaves the diversion on.
        int elsewhere = 0;
        for (int i = 0; i < PICKS; i++) {
            if (t.priority(s.pickExcluding(1L << 5, random, Clocks.manual(), 0.2)) == 1) {
                elsewhere++;
            }
        }
        assertThat(elsewhere / (double) PICKS).isCloseTo(0.2, within(bound(0.2)));
        // Excluding priority 0 sends every retry to priority 1, as without spill-over.
        for (int i = 0; i < 1_000; i++) {
            assertThat(t.priority(s.pickExcluding(1L, random, Clocks.manual(), 0.2))).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(value = LbPolicy.class, names = {"RING_HASH", "MAGLEV"})
    void theHashPoliciesDivertByKeyAndMoveOnlyKeptKeysAsTheFractionGrows(LbPolicy policy) {
        EndpointTable t = table(HealthStatus.HEALTHY);
        Snapshot s = build(LbConfig.builder().policy(policy).spill(SPILL).build(), t);
        RandomSource keys = RandomSource.seeded(16);
        int keysCount = 50_000;
        int diverted = 0;
        for (int i = 0; i < keysCount; i++) {
            long key = keys.nextLong();
            int low = s.pickHash(key, 0.2);
            int high = s.pickHash(key, 0.4);
            assertThat(s.pickHash(key, 0.2)).isEqualTo(low);
            if (t.priority(low) == 1) {
                diverted++;
                // A key already diverted stays on its host when the fraction grows.
                assertThat(high).isEqualTo(low);
            } else if (t.priority(high) == 0) {
                assertThat(high).isEqualTo(low);
            }
            assertThat(s.pickHash(key, 0.0)).isEqualTo(s.pickHash(key));
        }
        assertThat(diverted / (double) keysCount).isCloseTo(0.2, within(5 * Math.sqrt(0.2 * 0.8 / keysCount)));
    }

    @Test
    void thePlanSharesIncludeTheDivertedPicks() {
        EndpointTable t = table(HealthStatus.HEALTHY);
        Snapshot s = build(LbConfig.builder().localityWeighted(true).spill(SPILL).build(), t);
        SpillState state = new SpillState(true, 0.25, 0.6, 0.8, 40, 1, 0, 0);
        LoadPlan plan = Planner.plan(s, 0, state);
        assertThat(plan.spill().state()).isEqualTo(state);
        assertThat(plan.spill().config()).isEqualTo(SPILL);
        // Envoy's priority load is unchanged; the shares move.
        assertThat(plan.priorities().get(0).healthyLoad()).isEqualTo(100);
        assertThat(plan.priorities().get(0).localities().get(0).share()).isCloseTo(75, within(1e-9));
        LocalityPlan near = plan.priorities().get(1).localities().get(0);
        LocalityPlan far = plan.priorities().get(1).localities().get(1);
        assertThat(near.share()).isCloseTo(25 * 0.25, within(1e-9));
        assertThat(far.share()).isCloseTo(25 * 0.75, within(1e-9));
        assertThat(near.hosts().get(0).share()).isCloseTo(25 * 0.25 / 2, within(1e-9));
        // At rest (no evaluation yet) nothing is diverted.
        LoadPlan atRest = Planner.plan(s, 0);
        assertThat(atRest.spill().state().active()).isFalse();
        assertThat(atRest.spill().state().capacity()).isEqualTo(40.0);
        assertThat(atRest.priorities().get(0).localities().get(0).share()).isCloseTo(100, within(1e-9));
        assertThat(Planner.plan(build(LbConfig.defaults(), t), 0).spill()).isNull();
    }
}
