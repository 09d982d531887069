package dev.meridian.lb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.core.NanoClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.internal.LoadBalancer;
import dev.meridian.lb.SlowStartConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the split between {@link SnapshotBuilder} and {@link Snapshot} promises beyond the shares
 * the conformance tests check: slow start switches itself off when its window ends (Envoy's
 * {@code applySlowStartFactor} in {@code source/common/upstream/load_balancer_impl.cc} leaves a host
 * at full weight from {@code window} milliseconds on), and the round-robin shortcut takes exactly
 * the host the host set's own round robin takes. Virtual time only.
 */
class SnapshotSplitTest {

    private static final Locality HERE = Locality.of("r1", "z1", "");
    private static final Duration WINDOW = Duration.ofSeconds(10);

    /** Healthy hosts at priority 0 in one locality with these weights. */
    private static EndpointTable table(int... weights) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < weights.length; i++) {
            b.add(new Endpoint("10.0.0." + i, 8080, HERE, Map.of(), weights[i], HealthStatus.HEALTHY,
                    Endpoint.NO_PRIORITY));
        }
        return b.build();
    }

    /** A clock that counts its readings. */
    private static final class CountingClock implements NanoClock {
        final ManualClock time = Clocks.manual();
        long readings;

        @Override
        public long nanoTime() {
            readings++;
            return time.nanoTime();
        }
    }

    private static Snapshot build(LbConfig config, EndpointTable table, long[] since, long now) {
        return Snapshot.build(config, table, new boolean[table.size()], ActiveRequests.striped(table.size()), since,
                RandomSource.seeded(5), now);
    }

    private static long[] established(int n) {
        long[] since = new long[n];
        Arrays.fill(since, Snapshot.ESTABLISHED);
        return since;
    }

    @Test
    @DisplayName("slow start ends at since + window; the first pick after that stops reading the clock")
    void slowStartSwitchesItselfOff() {
        LbConfig config = LbConfig.builder().slowStart(SlowStartConfig.of(WINDOW)).build();
        EndpointTable table = table(1, 1, 1);
        long[] since = established(3);
        since[2] = 0;
        CountingClock clock = new CountingClock();
        Snapshot s = build(config, table, since, 0);
        assertThat(s.slowStartEndsAtNanos()).isEqualTo(WINDOW.toNanos());
        RandomSource random = RandomSource.seeded(6);
        s.pick(random, clock);
        assertThat(clock.readings).isEqualTo(1);

        clock.time.advance(WINDOW.toNanos() - 1);
        assertThat(s.slowStartActiveAt(clock.time.nanoTime())).isTrue();
        s.pick(random, clock);
        assertThat(s.slowStartPending()).isTrue();

        clock.time.advance(1);
        long before = clock.readings;
        s.pick(random, clock);
        assertThat(clock.readings - before).as("the pick that finds the window over").isEqualTo(1);
        assertThat(s.slowStartPending()).isFalse();
        for (int i = 0; i < 1000; i++) {
            s.pick(random, clock);
        }
        assertThat(clock.readings - before).as("picks after it").isEqualTo(1);
        // The rotation after the window is plain again: every 3 picks visit each host once.
        int[] counts = new int[3];
        for (int i = 0; i < 300; i++) {
            counts[s.pick(random, clock)]++;
        }
        assertThat(counts).containsOnly(100);
    }

    @Test
    @DisplayName("LoadBalancer, which never rebuilds by itself, stops reading the clock once the window is over")
    void balancerStopsReadingTheClockAfterTheWindow() {
        LbConfig config = LbConfig.builder().slowStart(SlowStartConfig.of(WINDOW)).build();
        CountingClock clock = new CountingClock();
        LoadBalancer lb = LoadBalancer.create(config, table(1, 1), RandomSource.seeded(3), clock);
        lb.update(table(1, 1, 1));
        clock.time.advance(WINDOW.toNanos() / 2);
        long before = clock.readings;
        for (int i = 0; i < 100; i++) {
            lb.pick();
        }
        assertThat(clock.readings - before).as("picks during the window").isEqualTo(100);
        clock.time.advance(WINDOW.toNanos());
        before = clock.readings;
        for (int i = 0; i < 1000; i++) {
            lb.pickEndpoint();
        }
        assertThat(clock.readings - before).as("picks after the window").isEqualTo(1);
    }

    @Test
    @DisplayName("a snapshot built when every ramp is over has no slow-start work: no clock reading at all")
    void snapshotBuiltAfterTheWindowNeverReadsTheClock() {
        LbConfig config = LbConfig.builder().slowStart(SlowStartConfig.of(WINDOW))
                .policy(LbPolicy.LEAST_REQUEST).build();
        EndpointTable table = table(1, 2, 3);
        long[] since = established(3);
        since[1] = 0;
        CountingClock clock = new CountingClock();
        clock.time.advance(WINDOW.toNanos());
        Snapshot s = build(config, table, since, clock.time.nanoTime());
        assertThat(s.slowStartEndsAtNanos()).isEqualTo(Long.MIN_VALUE);
        assertThat(s.slowStartPending()).isFalse();
        RandomSource random = RandomSource.seeded(6);
        for (int i = 0; i < 1000; i++) {
            s.pick(random, clock);
        }
        assertThat(clock.readings).isZero();
    }

    @Test
    @DisplayName("only healthy hosts ramp: an unhealthy host's slow-start time does not hold slow start open")
    void unhealthyHostsDoNotRamp() {
        LbConfig config = LbConfig.builder().slowStart(SlowStartConfig.of(WINDOW)).build();
        EndpointTable table = table(1, 1, 1);
        long[] since = established(3);
        since[0] = 0;
        boolean[] ejected = {true, false, false};
        Snapshot s = Snapshot.build(config, table, ejected, ActiveRequests.striped(3), since, RandomSource.seeded(5), 0);
        assertThat(s.slowStartEndsAtNanos()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    @DisplayName("the round-robin shortcut takes the host set's own round-robin host, value for value")
    void shortcutTakesTheSourcesHost() {
        for (int[] weights : new int[][] {{1, 1, 1, 1, 1}, {1, 2, 3, 4}, {4, 1, 1, 3, 2, 2, 1}}) {
            EndpointTable table = table(weights);
            Snapshot a = build(LbConfig.defaults(), table, established(table.size()), 0);
            Snapshot b = build(LbConfig.defaults(), table, established(table.size()), 0);
            HostSource source = b.levels()[0].healthy;
            RandomSource random = RandomSource.seeded(6);
            NanoClock clock = Clocks.manual();
            for (int i = 0; i < 1000; i++) {
                long seq = b.sequenceValue(source);
                int expected = source.roundRobin(seq);
                // Advance b's sequence as a pick would, through its own pick path.
                assertThat(b.pick(random, clock)).isEqualTo(expected);
                assertThat(a.pickEndpoint(random, clock)).isSameAs(table.endpoint(expected));
            }
        }
    }
}
