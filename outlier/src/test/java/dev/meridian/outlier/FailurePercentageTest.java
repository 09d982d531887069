package dev.meridian.outlier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.RandomSource;
import dev.meridian.core.ManualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Failure-percentage ejection as Envoy's docs describe it ({@code docs/root/intro/arch_overview/upstream/outlier.rst},
 * "Failure Percentage": a host whose failure percentage over one interval is at or above
 * {@code failure_percentage_threshold} is ejected, given {@code failure_percentage_request_volume}
 * requests and {@code failure_percentage_minimum_hosts} such hosts) and as
 * {@code processSuccessRateEjections} in {@code source/common/upstream/outlier_detection_impl.cc}
 * computes it. Enforcement is 0 by default, so these tests turn it on.
 */
class FailurePercentageTest {

    private final ManualClock clock = Clocks.manual();
    private final Fixtures.EventLog log = new Fixtures.EventLog();

    private static OutlierDetectionConfig.Builder config() {
        return OutlierDetectionConfig.builder().enforcingFailurePercentage(100).enforcingSuccessRate(0)
                .consecutive5xx(0).maxEjectionPercent(100);
    }

    private OutlierDetector detector(OutlierDetectionConfig config, int hosts) {
        return OutlierDetector.create(config, Fixtures.hosts(hosts), RandomSource.seeded(5), clock, log);
    }

    private static void traffic(OutlierDetector d, int host, int requests, int failures) {
        for (int i = 0; i < requests; i++) {
            d.record(host, i < failures ? 503 : 200);
        }
    }

    @Test
    @DisplayName("threshold 85: 85 failures in 100 ejects, 84 does not (100 - success rate >= threshold)")
    void thresholdIsInclusive() {
        OutlierDetector d = detector(config().build(), 5);
        traffic(d, 0, 100, 85);
        traffic(d, 1, 100, 84);
        for (int h = 2; h < 5; h++) {
            traffic(d, h, 100, 0);
        }
        d.sweep();
        assertThat(d.ejectedHosts().toString()).isEqualTo("{0}");
        assertThat(log.events).singleElement().asString().contains("FAILURE_PERCENTAGE");
    }

    @Test
    @DisplayName("unlike success rate, a flat threshold ejects every failing host, not only outliers")
    void everyHostOverTheThresholdIsEjected() {
        OutlierDetector d = detector(config().failurePercentageThreshold(50).build(), 5);
        for (int h = 0; h < 5; h++) {
            traffic(d, h, 50, 25 + h);
        }
        d.sweep();
        assertThat(d.ejectedCount()).isEqualTo(5);
    }

    @Test
    @DisplayName("failure_percentage_request_volume (50) and failure_percentage_minimum_hosts (5) gate the detection")
    void volumeAndMinimumHosts() {
        OutlierDetector d = detector(config().build(), 5);
        traffic(d, 0, 49, 49);
        for (int h = 1; h < 5; h++) {
            traffic(d, h, 50, 0);
        }
        d.sweep();
        assertThat(d.ejectedCount()).as("host 0 has 49 requests, leaving 4 hosts with enough").isZero();

        OutlierDetector four = detector(config().build(), 4);
        for (int h = 0; h < 4; h++) {
            traffic(four, h, 100, 100);
        }
        four.sweep();
        assertThat(four.ejectedCount()).as("a cluster of 4 hosts is below the minimum of 5").isZero();
    }

    @Test
    @DisplayName("with split errors, local-origin failures have their own percentage and enforcement")
    void localOriginFailurePercentage() {
        OutlierDetector d = detector(config().splitExternalLocalOriginErrors(true).consecutiveLocalOriginFailure(0)
                .enforcingFailurePercentageLocalOrigin(100).build(), 5);
        for (int h = 0; h < 5; h++) {
            for (int i = 0; i < 50; i++) {
                d.recordLocalOrigin(h, h == 3 ? LocalOriginResult.TIMEOUT : LocalOriginResult.CONNECT_SUCCESS);
            }
        }
        d.sweep();
        assertThat(d.ejectedHosts().toString()).isEqualTo("{3}");
        assertThat(log.events).singleElement().asString().contains("FAILURE_PERCENTAGE_LOCAL_ORIGIN");
    }
}
