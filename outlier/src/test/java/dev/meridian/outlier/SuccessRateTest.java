package dev.meridian.outlier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.RandomSource;
import dev.meridian.core.ManualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Success-rate ejection as Envoy's docs describe it ({@code docs/root/intro/arch_overview/upstream/outlier.rst},
 * "Success Rate": per-host success rate over one interval, hosts below the request volume left
 * out, nothing done below the minimum number of hosts) and as {@code processSuccessRateEjections}
 * and {@code successRateEjectionThreshold} in {@code source/common/upstream/outlier_detection_impl.cc}
 * compute it; the numbers are the worked example in that source: success rates {50, 100, 100, 100,
 * 100} give a mean of 90, a standard deviation of 20 and, with the default factor 1.9, a threshold
 * of 52.
 */
class SuccessRateTest {

    private final ManualClock clock = Clocks.manual();
    private final Fixtures.EventLog log = new Fixtures.EventLog();

    /**
     * Defaults, except that 1 host in 5 may be ejected (Envoy's 10% allows none of 5) and runs of
     * 5xx do not eject, so that only the sweep decides.
     */
    private static OutlierDetectionConfig.Builder config() {
        return OutlierDetectionConfig.builder().maxEjectionPercent(20).consecutive5xx(0);
    }

    private OutlierDetector detector(OutlierDetectionConfig config, int hosts) {
        return OutlierDetector.create(config, Fixtures.hosts(hosts), RandomSource.seeded(5), clock, log);
    }

    /** Records {@code requests} results, {@code successes} of them 200 and the rest 500, interleaved. */
    private static void traffic(OutlierDetector d, int host, int requests, int successes) {
        int failures = requests - successes;
        for (int i = 0; i < requests; i++) {
            // Spread failures so that no run reaches the consecutive 5xx threshold.
            boolean fail = failures > 0 && (i % 2 == 1 || requests - i <= failures);
            if (fail) {
                failures--;
            }
            d.record(host, fail ? 500 : 200);
        }
    }

    @Test
    @DisplayName("Envoy's worked example: {50, 100, 100, 100, 100} -> threshold 52, the 50% host is ejected")
    void sourceExampleEjectsTheFiftyPercentHost() {
        OutlierDetector d = detector(config().build(), 5);
        traffic(d, 0, 100, 50);
        for (int h = 1; h < 5; h++) {
            traffic(d, h, 100, 100);
        }
        assertThat(d.ejectedCount()).isZero();
        clock.advance(d.nextSweepAtNanos());
        d.sweep();
        assertThat(d.ejectedHosts().toString()).isEqualTo("{0}");
        assertThat(log.events).containsExactly("eject 0 SUCCESS_RATE at 10000000000 until 40000000000");
    }

    @Test
    @DisplayName("hosts within factor x stdev of the mean stay: {90, 90, 100, 100, 100} -> threshold 86.7")
    void hostsNearTheMeanStay() {
        OutlierDetector d = detector(config().build(), 5);
        traffic(d, 0, 100, 90);
        traffic(d, 1, 100, 90);
        for (int h = 2; h < 5; h++) {
            traffic(d, h, 100, 100);
        }
        d.sweep();
        assertThat(d.ejectedCount()).isZero();
    }

    @Test
    @DisplayName("below success_rate_request_volume a host is left out, and then fewer than minimum hosts remain")
    void requestVolumeAndMinimumHosts() {
        OutlierDetector d = detector(config().build(), 5);
        traffic(d, 0, 100, 10);
        traffic(d, 1, 99, 99);
        for (int h = 2; h < 5; h++) {
            traffic(d, h, 100, 100);
        }
        d.sweep();
        assertThat(d.ejectedCount()).as("only 4 hosts reached 100 requests").isZero();

        // A lone outlier among n hosts falls below the threshold only when sqrt(n - 1) exceeds the
        // factor: with 1.9 that takes 5 hosts, so 4 hosts need a smaller factor.
        OutlierDetector lower = detector(config().successRateMinimumHosts(4).successRateStdevFactor(1000).build(), 5);
        traffic(lower, 0, 100, 10);
        traffic(lower, 1, 99, 99);
        for (int h = 2; h < 5; h++) {
            traffic(lower, h, 100, 100);
        }
        lower.sweep();
        assertThat(lower.ejectedHosts().toString()).isEqualTo("{0}");
    }

    @Test
    @DisplayName("each sweep judges only the interval just ended (SuccessRateAccumulator::updateCurrentWriter)")
    void eachSweepJudgesOneInterval() {
        OutlierDetector d = detector(config().build(), 5);
        traffic(d, 0, 60, 30);
        d.sweep();
        traffic(d, 0, 40, 20);
        for (int h = 1; h < 5; h++) {
            traffic(d, h, 100, 100);
        }
        d.sweep();
        assertThat(d.ejectedCount()).as("host 0 had 40 requests in the second interval").isZero();
    }

    @Test
    @DisplayName("Istio turns success-rate ejection off (enforcing_success_rate 0): detected, never ejected")
    void istioDisablesSuccessRate() {
        OutlierDetectionConfig istio = IstioOutlierTranslation.translate(null, null, null, null, null, null, null,
                20, null).config();
        OutlierDetector d = detector(istio, 5);
        traffic(d, 0, 100, 50);
        for (int h = 1; h < 5; h++) {
            traffic(d, h, 100, 100);
        }
        d.sweep();
        assertThat(d.ejectedCount()).isZero();
    }

    @Test
    @DisplayName("with split errors the local-origin success rate is judged on its own (SUCCESS_RATE_LOCAL_ORIGIN)")
    void localOriginSuccessRate() {
        OutlierDetector d = detector(config().splitExternalLocalOriginErrors(true).consecutiveLocalOriginFailure(0)
                .build(), 5);
        for (int h = 0; h < 5; h++) {
            traffic(d, h, 100, 100);
            for (int i = 0; i < 100; i++) {
                boolean fail = h == 0 && i % 2 == 0;
                d.recordLocalOrigin(h, fail ? LocalOriginResult.CONNECT_FAILED : LocalOriginResult.CONNECT_SUCCESS);
            }
        }
        d.sweep();
        assertThat(d.ejectedHosts().toString()).isEqualTo("{0}");
        assertThat(log.events).singleElement().asString().contains("SUCCESS_RATE_LOCAL_ORIGIN");
    }
}
