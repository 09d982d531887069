package dev.meridian.outlier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.RandomSource;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import dev.meridian.core.ManualClock;

/**
 * Invariants of the detector under arbitrary traffic, sweeps and virtual time, from the rules in
 * Envoy's {@code source/common/upstream/outlier_detection_impl.cc}: the max ejection percent is
 * never exceeded, the active count matches the ejected hosts, no host outstays the first sweep at
 * or after its ejection time, and a seeded run repeats exactly.
 */
class OutlierDetectorProperties {

    /** One step: 0 HTTP result, 1 local-origin result, 2 advance the clock, 3 sweep, 4 sweep if due. */
    record Step(int kind, int host, int value) {
    }

    private static final int[] STATUSES = {200, 404, 500, 502, 503, 504};

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(0, 11),
                Arbitraries.integers().between(0, 40_000)).as(Step::new);
        return step.list().ofMaxSize(400);
    }

    private static OutlierDetectionConfig config(int maxPercent, boolean alwaysOne, boolean split, int threshold) {
        return OutlierDetectionConfig.builder()
                .interval(Duration.ofSeconds(10))
                .baseEjectionTime(Duration.ofSeconds(7))
                .maxEjectionTime(Duration.ofSeconds(20))
                .maxEjectionTimeJitter(Duration.ofSeconds(3))
                .maxEjectionPercent(maxPercent)
                .alwaysEjectOneHost(alwaysOne)
                .splitExternalLocalOriginErrors(split)
                .consecutive5xx(threshold)
                .consecutiveGatewayFailure(threshold)
                .enforcingConsecutiveGatewayFailure(60)
                .consecutiveLocalOriginFailure(threshold)
                .successRateMinimumHosts(2)
                .successRateRequestVolume(3)
                .failurePercentageMinimumHosts(2)
                .failurePercentageRequestVolume(3)
                .enforcingFailurePercentage(100)
                .enforcingFailurePercentageLocalOrigin(50)
                .build();
    }

    private static void apply(OutlierDetector d, ManualClock clock, Step step) {
        int host = step.host() % d.table().size();
        switch (step.kind()) {
            case 0 -> d.record(host, STATUSES[step.value() % STATUSES.length]);
            case 1 -> d.recordLocalOrigin(host, LocalOriginResult.values()[step.value() % 5]);
            case 2 -> clock.advance(step.value() * 1_000_000L);
            case 3 -> d.sweep();
            default -> d.sweepIfDue();
        }
    }

    @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
    void invariantsHoldAfterEveryStep(@ForAll("steps") List<Step> steps,
                                      @ForAll @IntRange(min = 1, max = 12) int hosts,
                                      @ForAll @IntRange(min = 0, max = 100) int maxPercent,
                                      @ForAll boolean alwaysOne, @ForAll boolean split,
                                      @ForAll @IntRange(min = 1, max = 4) int threshold) {
        ManualClock clock = Clocks.manual();
        OutlierDetector d = OutlierDetector.create(config(maxPercent, alwaysOne, split, threshold),
                Fixtures.hosts(hosts), RandomSource.seeded(hosts * 31L + maxPercent), clock, null);
        int cap = (int) Math.floor(maxPercent * hosts / 100.0 + 1e-9);
        if (alwaysOne) {
            cap = Math.max(cap, 1);
        }
        for (Step step : steps) {
            apply(d, clock, step);
            assertThat(d.ejectedCount()).isEqualTo(d.ejectedHosts().cardinality()).isLessThanOrEqualTo(cap);
            long now = clock.nanoTime();
            for (int h = 0; h < hosts; h++) {
                if (d.isEjected(h)) {
                    assertThat(d.ejectionCount(h)).isPositive();
                    long until = d.ejectedUntilNanos(h);
                    assertThat(until).isNotEqualTo(OutlierDetector.NOT_EJECTED);
                    if (step.kind() == 3) {
                        assertThat(until).as("host %d outstayed the sweep at %d", h, now).isGreaterThan(now);
                    }
                } else {
                    assertThat(d.ejectedUntilNanos(h)).isEqualTo(OutlierDetector.NOT_EJECTED);
                }
            }
        }
    }

    @Property(tries = 100, edgeCases = EdgeCasesMode.NONE)
    void seededRunsRepeatExactly(@ForAll("steps") List<Step> steps,
                                 @ForAll @IntRange(min = 1, max = 12) int hosts,
                                 @ForAll @IntRange(min = 0, max = 100) int maxPercent) {
        OutlierDetectionConfig config = config(maxPercent, false, false, 2);
        List<String> first = run(config, hosts, steps);
        assertThat(run(config, hosts, steps)).isEqualTo(first);
    }

    private static List<String> run(OutlierDetectionConfig config, int hosts, List<Step> steps) {
        ManualClock clock = Clocks.manual();
        Fixtures.EventLog log = new Fixtures.EventLog();
        OutlierDetector d = OutlierDetector.create(config, Fixtures.hosts(hosts), RandomSource.seeded(11), clock, log);
        for (Step step : steps) {
            apply(d, clock, step);
        }
        return log.events;
    }

    @Property(tries = 100, edgeCases = EdgeCasesMode.NONE)
    void aReturnedHostIsBackInService(@ForAll @Size(max = 20) List<@IntRange(min = 0, max = 4) Integer> hosts) {
        ManualClock clock = Clocks.manual();
        OutlierDetector d = OutlierDetector.create(OutlierDetectionConfig.builder().maxEjectionPercent(100).build(),
                Fixtures.hosts(5), RandomSource.seeded(2), clock, null);
        for (int h : hosts) {
            for (int i = 0; i < 5; i++) {
                d.record(h, 500);
            }
        }
        // No ejection lasts longer than the max ejection time; one sweep after it brings all back.
        clock.advance(d.config().maxEjectionTime().toNanos());
        d.sweep();
        assertThat(d.ejectedCount()).isZero();
    }
}
