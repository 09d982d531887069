package dev.meridian.outlier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import java.time.Duration;
import java.util.List;
import dev.meridian.core.ManualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Ejection, return and the ejection multiplier on virtual time, as {@code ejectHost},
 * {@code checkHostForUneject} and {@code onIntervalTimer} in Envoy's
 * {@code source/common/upstream/outlier_detection_impl.cc} run them.
 *
 * <p>Where Envoy's docs and source disagree these tests follow the source and say so: the docs
 * ({@code intro/arch_overview/upstream/outlier}) multiply the base ejection time by "the number of
 * times the host has been ejected", the source by {@code eject_time_backoff}, which also drops by
 * one for each interval a returned host stays in service; the proto comment on
 * {@code max_ejection_percent} says at least one host is always ejected, the source no longer does
 * (envoyproxy/envoy#27909) unless {@code always_eject_one_host} is set.
 */
class EjectionLifecycleTest {

    private static final long SECOND = 1_000_000_000L;

    private final ManualClock clock = Clocks.manual();
    private final Fixtures.EventLog log = new Fixtures.EventLog();

    private OutlierDetector detector(OutlierDetectionConfig config, int hosts) {
        return OutlierDetector.create(config, Fixtures.hosts(hosts), RandomSource.seeded(3), clock, log);
    }

    private static void fail(OutlierDetector d, int host) {
        for (int i = 0; i < 5; i++) {
            d.record(host, 500);
        }
    }

    /** Advances to the next due sweep and runs it. */
    private void nextSweep(OutlierDetector d) {
        clock.update(d.nextSweepAtNanos());
        assertThat(d.sweepIfDue()).isTrue();
    }

    @Test
    @DisplayName("a host returns at the first sweep at or after its ejection time (checkHostForUneject)")
    void returnsAtFirstSweepAtOrAfterEjectionTime() {
        OutlierDetector d = detector(OutlierDetectionConfig.defaults(), 10);
        assertThat(d.nextSweepAtNanos()).isEqualTo(10 * SECOND);
        clock.advance(SECOND);
        fail(d, 0);
        assertThat(d.ejectedUntilNanos(0)).isEqualTo(31 * SECOND);
        nextSweep(d);
        nextSweep(d);
        nextSweep(d);
        assertThat(clock.nanoTime()).isEqualTo(30 * SECOND);
        assertThat(d.isEjected(0)).isTrue();
        clock.update(31 * SECOND);
        assertThat(d.sweepIfDue()).as("not due until 40s").isFalse();
        assertThat(d.isEjected(0)).as("the time is up, but only a sweep brings it back").isTrue();
        nextSweep(d);
        assertThat(clock.nanoTime()).isEqualTo(40 * SECOND);
        assertThat(d.isEjected(0)).isFalse();
        assertThat(d.ejectedUntilNanos(0)).isEqualTo(OutlierDetector.NOT_EJECTED);
        assertThat(log.events).containsExactly(
                "eject 0 CONSECUTIVE_5XX at " + SECOND + " until " + 31 * SECOND,
                "return 0 at " + 40 * SECOND);
    }

    @Test
    @DisplayName("a sweep exactly at the ejection time brings the host back (<= in checkHostForUneject)")
    void sweepExactlyAtEjectionTimeReturns() {
        OutlierDetector d = detector(OutlierDetectionConfig.defaults(), 10);
        fail(d, 0);
        clock.advance(30 * SECOND);
        d.sweep();
        assertThat(d.isEjected(0)).isFalse();
    }

    @Test
    @DisplayName("a second ejection lasts twice as long, a third three times, up to max_ejection_time")
    void ejectionTimeGrowsWithTheMultiplierUpToTheCap() {
        OutlierDetectionConfig config = OutlierDetectionConfig.builder().interval(Duration.ofSeconds(10))
                .baseEjectionTime(Duration.ofSeconds(30)).maxEjectionTime(Duration.ofSeconds(75)).build();
        OutlierDetector d = detector(config, 10);
        fail(d, 0);
        assertThat(d.ejectedUntilNanos(0)).isEqualTo(30 * SECOND);
        nextSweep(d);
        nextSweep(d);
        nextSweep(d);
        assertThat(d.isEjected(0)).isFalse();

        fail(d, 0);
        assertThat(d.ejectedUntilNanos(0)).as("twice the base").isEqualTo((30 + 60) * SECOND);
        assertThat(d.ejectionCount(0)).isEqualTo(2);
        for (int i = 0; i < 5; i++) {
            nextSweep(d);
        }
        assertThat(d.isEjected(0)).as("at 80s").isTrue();
        nextSweep(d);
        assertThat(d.isEjected(0)).as("at 90s").isFalse();

        fail(d, 0);
        assertThat(d.ejectedUntilNanos(0)).as("three times the base, capped at 75s").isEqualTo((90 + 75) * SECOND);
    }

    @Test
    @DisplayName("the multiplier drops once per interval a returned host stays in service (onIntervalTimer)")
    void multiplierDropsWhileTheHostStaysHealthy() {
        OutlierDetector d = detector(OutlierDetectionConfig.defaults(), 10);
        fail(d, 0);
        nextSweep(d);
        nextSweep(d);
        nextSweep(d);
        assertThat(d.isEjected(0)).isFalse();
        clock.advance(5 * SECOND);
        fail(d, 0);
        assertThat(d.ejectedUntilNanos(0)).as("failed again before an interval in service: 2 x base")
                .isEqualTo((35 + 60) * SECOND);

        OutlierDetector e = detector(OutlierDetectionConfig.defaults(), 10);
        clock.update(0);
        fail(e, 1);
        for (int i = 0; i < 4; i++) {
            clock.update((i + 1) * 10 * SECOND);
            e.sweep();
        }
        assertThat(e.isEjected(1)).isFalse();
        clock.advance(SECOND);
        fail(e, 1);
        assertThat(e.ejectedUntilNanos(1)).as("back to 1 x base after an interval in service")
                .isEqualTo((41 + 30) * SECOND);
    }

    /**
     * Envoy's {@code onIntervalTimer} ({@code source/common/upstream/outlier_detection_impl.cc})
     * runs {@code checkHostForUneject} for every host (which only returns hosts whose time is up),
     * then {@code processSuccessRateEjections} for external and local-origin results, and only
     * then lowers {@code eject_time_backoff} for hosts not ejected. A host that has been back for an
     * interval and is ejected by success rate in this sweep is therefore ejected with its multiplier
     * not yet lowered, and is not lowered afterwards, since it is ejected by then.
     */
    @Test
    @DisplayName("onIntervalTimer: success-rate ejection comes before the multiplier is lowered, so it uses the unlowered multiplier")
    void successRateEjectionInASweepUsesTheUnloweredMultiplier() {
        OutlierDetector d = detector(OutlierDetectionConfig.builder().maxEjectionPercent(100).build(), 5);
        fail(d, 0);
        assertThat(d.ejectedUntilNanos(0)).isEqualTo(30 * SECOND);
        nextSweep(d);
        nextSweep(d);
        nextSweep(d);
        assertThat(d.isEjected(0)).as("back at 30s").isFalse();
        // During 30s..40s host 0 succeeds half the time, the others always: {50, 100, 100, 100, 100}
        // gives Envoy's threshold of 52 at the 40s sweep, one interval after the return.
        for (int i = 0; i < 100; i++) {
            d.record(0, i % 2 == 0 ? 500 : 200);
            for (int h = 1; h < 5; h++) {
                d.record(h, 200);
            }
        }
        nextSweep(d);
        assertThat(clock.nanoTime()).isEqualTo(40 * SECOND);
        assertThat(d.isEjected(0)).isTrue();
        assertThat(d.ejectedUntilNanos(0)).as("multiplier 1 -> 2: 2 x 30s; lowering first would give 1 x 30s")
                .isEqualTo((40 + 60) * SECOND);
        assertThat(log.events).last().asString().startsWith("eject 0 SUCCESS_RATE at " + 40 * SECOND);
    }

    @Test
    @DisplayName("jitter adds up to max_ejection_time_jitter, in whole milliseconds, from the injected random")
    void jitterComesFromTheSeededRandom() {
        OutlierDetectionConfig config = OutlierDetectionConfig.builder()
                .maxEjectionTimeJitter(Duration.ofSeconds(10)).maxEjectionPercent(100).build();
        long[] until = new long[8];
        for (int run = 0; run < 2; run++) {
            OutlierDetector d = OutlierDetector.create(config, Fixtures.hosts(4), RandomSource.seeded(99), clock, null);
            for (int h = 0; h < 4; h++) {
                fail(d, h);
                until[run * 4 + h] = d.ejectedUntilNanos(h);
            }
        }
        for (int i = 0; i < 4; i++) {
            assertThat(until[i]).isBetween(30 * SECOND, 40 * SECOND).isEqualTo(until[i + 4]);
            assertThat(until[i] % 1_000_000L).isZero();
        }
        assertThat(until[0]).isNotEqualTo(until[1]);
    }

    @Test
    @DisplayName("max_ejection_percent counts the host about to be ejected, over all hosts (ejectHost, envoy#27909)")
    void maxEjectionPercentCountsTheNextEjection() {
        OutlierDetector ten = detector(OutlierDetectionConfig.defaults(), 10);
        fail(ten, 0);
        fail(ten, 1);
        assertThat(ten.ejectedHosts().toString()).as("10% of 10 hosts is one").isEqualTo("{0}");

        OutlierDetector half = detector(OutlierDetectionConfig.builder().maxEjectionPercent(50).build(), 3);
        fail(half, 0);
        fail(half, 1);
        fail(half, 2);
        assertThat(half.ejectedHosts().toString()).as("envoy#26877: 50% of 3 hosts is one, not two")
                .isEqualTo("{0}");
    }

    @Test
    @DisplayName("Istio's default 10% with 3 hosts ejects nothing unless always_eject_one_host (ejectHost)")
    void defaultPercentWithThreeHostsEjectsNothing() {
        OutlierDetectionConfig scenario = IstioOutlierTranslation.translate(5, null, null, null, null,
                Duration.ofMinutes(2), Duration.ofMinutes(5), null, null).config();
        OutlierDetector d = detector(scenario, 3);
        for (int i = 0; i < 50; i++) {
            d.record(0, 503);
            d.record(1, 503);
        }
        assertThat(d.ejectedCount()).as("(0 + 1) / 3 = 33% > 10%").isZero();

        OutlierDetector one = detector(scenario.toBuilder().alwaysEjectOneHost(true).build(), 3);
        for (int i = 0; i < 50; i++) {
            one.record(0, 503);
            one.record(1, 503);
        }
        assertThat(one.ejectedHosts().toString()).isEqualTo("{0}");
    }

    @Test
    @DisplayName("a refused host is ejected after another full run once a slot frees up (onConsecutiveErrorWorker)")
    void refusedHostGetsAnotherChanceAfterAReturn() {
        OutlierDetector d = detector(OutlierDetectionConfig.defaults(), 10);
        fail(d, 0);
        fail(d, 1);
        assertThat(d.isEjected(1)).isFalse();
        clock.advance(30 * SECOND);
        d.sweep();
        assertThat(d.ejectedCount()).isZero();
        d.record(1, 500);
        assertThat(d.isEjected(1)).as("the refused run was reset").isFalse();
        fail(d, 1);
        assertThat(d.isEjected(1)).isTrue();
    }

    @Test
    @DisplayName("Istio scenario 2 settings: a second ejection is not longer, because max_ejection_time defaults to max(300s, base) (DetectorConfig)")
    void scenarioTwoEjectionsDoNotGrow() {
        OutlierDetectionConfig config = IstioOutlierTranslation.translate(5, null, null, null, null,
                Duration.ofMinutes(2), Duration.ofMinutes(5), 100, null).config();
        assertThat(config.maxEjectionTime()).isEqualTo(Duration.ofMinutes(5));
        OutlierDetector d = detector(config, 3);
        for (int i = 0; i < 5; i++) {
            d.record(0, 503);
        }
        assertThat(d.ejectedUntilNanos(0)).isEqualTo(300 * SECOND);
        nextSweep(d);
        nextSweep(d);
        assertThat(d.isEjected(0)).as("at 4m").isTrue();
        nextSweep(d);
        assertThat(d.isEjected(0)).as("returned at the 6m sweep").isFalse();
        for (int i = 0; i < 5; i++) {
            d.record(0, 503);
        }
        assertThat(d.ejectedUntilNanos(0) - 360 * SECOND).isEqualTo(300 * SECOND);
    }

    @Test
    @DisplayName("an update keeps the state of hosts that stay, by address; removed ejected hosts free their slot")
    void updateRemapsByAddress() {
        OutlierDetector d = detector(OutlierDetectionConfig.builder().maxEjectionPercent(100).build(), 4);
        EndpointTable old = d.table();
        fail(d, 0);
        for (int i = 0; i < 4; i++) {
            d.record(2, 500);
        }
        EndpointTable next = EndpointTable.of(List.of(
                Endpoint.of("10.9.9.9:8080", Locality.of("r1", "z1", "")),
                old.endpoint(2),
                old.endpoint(0)));
        d.update(next);
        assertThat(d.table()).isSameAs(next);
        assertThat(d.ejectedHosts().toString()).isEqualTo("{2}");
        assertThat(d.ejectionCount(2)).isEqualTo(1);
        assertThat(d.ejectedUntilNanos(2)).isEqualTo(30 * SECOND);
        d.record(1, 500);
        assertThat(d.isEjected(1)).as("the run of 4 came along").isTrue();
        for (int i = 0; i < 5; i++) {
            d.record(0, 500);
        }
        assertThat(d.isEjected(0)).isTrue();

        d.update(EndpointTable.of(List.of(next.endpoint(0))));
        assertThat(d.ejectedCount()).isEqualTo(1);
        assertThat(d.isEjected(0)).isTrue();
    }
}
