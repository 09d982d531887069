package dev.meridian.outlier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.RandomSource;
import java.time.Duration;
import dev.meridian.core.ManualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The consecutive-failure detectors, as {@code DetectorHostMonitorImpl::putHttpResponseCode},
 * {@code putResult} and {@code onConsecutiveErrorWorker} in Envoy's
 * {@code source/common/upstream/outlier_detection_impl.cc} run them, and the legacy Istio mapping of
 * {@code pilot/pkg/networking/core/v1alpha3/cluster.go} in Istio 1.6, the last release that mapped
 * {@code consecutiveErrors} (istio/istio#24087 removed it in 1.7).
 */
class ConsecutiveFailureTest {

    private final ManualClock clock = Clocks.manual();
    private final Fixtures.EventLog log = new Fixtures.EventLog();

    private OutlierDetector detector(OutlierDetectionConfig config, int hosts) {
        return OutlierDetector.create(config, Fixtures.hosts(hosts), RandomSource.seeded(7), clock, log);
    }

    private static OutlierDetectionConfig legacyConsecutiveErrors5() {
        return IstioOutlierTranslation.translate(IstioRelease.parse("1.6"), 5, null, null, null, null, Duration.ofMinutes(2),
                Duration.ofMinutes(5), null, null).config();
    }

    private static void record(OutlierDetector d, int host, int status, int times) {
        for (int i = 0; i < times; i++) {
            d.record(host, status);
        }
    }

    @Test
    @DisplayName("Istio 1.6 consecutiveErrors: 5 ejects on the 5th consecutive gateway error (Istio v1alpha3/cluster.go)")
    void legacyMappingEjectsOnFifthGatewayError() {
        OutlierDetector d = detector(legacyConsecutiveErrors5(), 10);
        d.record(0, 502);
        d.record(0, 503);
        d.record(0, 504);
        d.record(0, 503);
        assertThat(d.isEjected(0)).isFalse();
        d.record(0, 503);
        assertThat(d.isEjected(0)).isTrue();
        assertThat(log.events).containsExactly("eject 0 CONSECUTIVE_GATEWAY_FAILURE at 0 until 300000000000");
    }

    @Test
    @DisplayName("Istio 1.6 consecutiveErrors: plain 5xx neither count nor eject (enforcing_consecutive_5xx 0)")
    void legacyMappingIgnoresOtherFiveHundreds() {
        OutlierDetector d = detector(legacyConsecutiveErrors5(), 10);
        record(d, 0, 500, 20);
        record(d, 1, 501, 20);
        assertThat(d.ejectedCount()).isZero();
    }

    @Test
    @DisplayName("Istio 1.6 consecutiveErrors: a completed run of plain 5xx is counted but hands nothing to the owner, enforcing_consecutive_5xx being 0 (enforceEjection)")
    void unenforcedRunsHandNothingOver() {
        OutlierDetector d = detector(legacyConsecutiveErrors5(), 10);
        OutcomeRecorder recorder = d.recorder();
        int handedOver = 0;
        for (int i = 0; i < 20; i++) {
            handedOver += recorder.record(d.monitor(0), 500) ? 1 : 0;
            handedOver += recorder.record(d.monitor(1), 501) ? 1 : 0;
        }
        assertThat(handedOver).as("no ejection can follow, so no host is handed to the owner").isZero();
        for (int i = 0; i < 5; i++) {
            handedOver += recorder.record(d.monitor(2), 503) ? 1 : 0;
        }
        assertThat(handedOver).as("the gateway run is enforced (100)").isEqualTo(1);
        assertThat(d.isEjected(2)).as("not yet: the owner decides").isFalse();
        d.applyPending(d.monitor(2));
        assertThat(d.isEjected(2)).isTrue();
        assertThat(log.events).containsExactly("eject 2 CONSECUTIVE_GATEWAY_FAILURE at 0 until 300000000000");
    }

    @Test
    @DisplayName("an unenforced run resets at its threshold as onConsecutiveErrorWorker resets it, so the enforced run beside it is unchanged")
    void unenforcedRunResetsLikeEnvoy() {
        // Envoy's defaults: gateway runs detected (5) but not enforced (0); 5xx runs enforced.
        OutlierDetector d = detector(OutlierDetectionConfig.builder().consecutive5xx(7).build(), 10);
        for (int i = 0; i < 6; i++) {
            assertThat(d.recorder().record(d.monitor(0), 503)).isFalse();
        }
        assertThat(d.monitor(0).runLength(EjectionType.CONSECUTIVE_GATEWAY_FAILURE))
                .as("the unenforced gateway run reset at 5").isEqualTo(1);
        d.record(0, 503);
        assertThat(d.isEjected(0)).as("the 7th 503 completes the 5xx run").isTrue();
    }

    @Test
    @DisplayName("a 5xx that is not a gateway error ends the gateway run (putHttpResponseCode)")
    void nonGatewayFiveHundredBreaksTheGatewayRun() {
        OutlierDetector d = detector(legacyConsecutiveErrors5(), 10);
        record(d, 0, 503, 4);
        d.record(0, 500);
        record(d, 0, 503, 4);
        assertThat(d.isEjected(0)).isFalse();
        d.record(0, 503);
        assertThat(d.isEjected(0)).isTrue();
    }

    @Test
    @DisplayName("any non-5xx response is a success and ends both runs (putHttpResponseCode)")
    void successEndsTheRuns() {
        OutlierDetector d = detector(OutlierDetectionConfig.builder().enforcingConsecutiveGatewayFailure(100).build(), 10);
        record(d, 0, 503, 4);
        d.record(0, 200);
        record(d, 0, 503, 4);
        d.record(0, 404);
        record(d, 0, 500, 4);
        d.record(0, 302);
        record(d, 0, 503, 4);
        assertThat(d.ejectedCount()).isZero();
    }

    @Test
    @DisplayName("Envoy defaults: gateway runs are detected but not enforced, so 503s eject as consecutive 5xx")
    void defaultsEjectGatewayErrorsAsFiveHundreds() {
        OutlierDetector d = detector(OutlierDetectionConfig.defaults(), 10);
        record(d, 0, 503, 5);
        assertThat(d.isEjected(0)).isTrue();
        assertThat(log.events).containsExactly("eject 0 CONSECUTIVE_5XX at 0 until 30000000000");
        record(d, 1, 500, 4);
        assertThat(d.isEjected(1)).isFalse();
    }

    @Test
    @DisplayName("without split errors, timeouts and connect failures are 504 and 503: two timeouts and a 500 make 3 errors (arch_overview/upstream/outlier)")
    void localOriginFailuresCountAsGatewayErrorsWithoutSplit() {
        OutlierDetector d = detector(OutlierDetectionConfig.builder().consecutive5xx(3).build(), 10);
        d.recordLocalOrigin(0, LocalOriginResult.TIMEOUT);
        d.recordLocalOrigin(0, LocalOriginResult.CONNECT_SUCCESS);
        d.recordLocalOrigin(0, LocalOriginResult.TIMEOUT);
        assertThat(d.isEjected(0)).isFalse();
        d.record(0, 500);
        assertThat(d.isEjected(0)).isTrue();

        OutlierDetector legacy = detector(legacyConsecutiveErrors5(), 10);
        legacy.recordLocalOrigin(1, LocalOriginResult.CONNECT_FAILED);
        legacy.recordLocalOrigin(1, LocalOriginResult.RESET);
        legacy.recordLocalOrigin(1, LocalOriginResult.TIMEOUT);
        legacy.record(1, 502);
        legacy.recordLocalOrigin(1, LocalOriginResult.SUCCESS_FINAL);
        legacy.recordLocalOrigin(1, LocalOriginResult.RESET);
        assertThat(legacy.isEjected(1)).isFalse();
        legacy.recordLocalOrigin(1, LocalOriginResult.RESET);
        legacy.recordLocalOrigin(1, LocalOriginResult.RESET);
        legacy.recordLocalOrigin(1, LocalOriginResult.RESET);
        legacy.recordLocalOrigin(1, LocalOriginResult.TIMEOUT);
        assertThat(legacy.isEjected(1)).isTrue();
    }

    @Test
    @DisplayName("with split errors, local-origin failures run apart from HTTP results (putResultWithLocalExternalSplit)")
    void splitErrorsKeepLocalOriginRunsApart() {
        OutlierDetectionConfig config = OutlierDetectionConfig.builder().splitExternalLocalOriginErrors(true)
                .maxEjectionPercent(100).build();
        OutlierDetector d = detector(config, 10);
        d.recordLocalOrigin(0, LocalOriginResult.CONNECT_FAILED);
        d.recordLocalOrigin(0, LocalOriginResult.TIMEOUT);
        d.recordLocalOrigin(0, LocalOriginResult.RESET);
        d.recordLocalOrigin(0, LocalOriginResult.CONNECT_FAILED);
        d.record(0, 200);
        assertThat(d.isEjected(0)).isFalse();
        d.recordLocalOrigin(0, LocalOriginResult.CONNECT_FAILED);
        assertThat(d.isEjected(0)).isTrue();
        assertThat(log.events).singleElement().asString().contains("CONSECUTIVE_LOCAL_ORIGIN_FAILURE");

        record(d, 1, 500, 4);
        d.recordLocalOrigin(1, LocalOriginResult.TIMEOUT);
        assertThat(d.isEjected(1)).as("a local-origin failure is not a 5xx in split mode").isFalse();
        d.recordLocalOrigin(2, LocalOriginResult.TIMEOUT);
        d.recordLocalOrigin(2, LocalOriginResult.TIMEOUT);
        d.recordLocalOrigin(2, LocalOriginResult.CONNECT_SUCCESS);
        d.recordLocalOrigin(2, LocalOriginResult.TIMEOUT);
        d.recordLocalOrigin(2, LocalOriginResult.TIMEOUT);
        d.recordLocalOrigin(2, LocalOriginResult.TIMEOUT);
        assertThat(d.isEjected(2)).as("a connect success ends the local-origin run").isFalse();
    }

    @Test
    @DisplayName("a threshold of 0 never triggers, enforcement 0 never ejects (DetectorConfig, enforceEjection)")
    void zeroThresholdAndZeroEnforcementNeverEject() {
        OutlierDetector d = detector(OutlierDetectionConfig.builder().consecutive5xx(0).build(), 10);
        record(d, 0, 500, 50);
        assertThat(d.ejectedCount()).isZero();
        OutlierDetector e = detector(OutlierDetectionConfig.builder().enforcingConsecutive5xx(0).build(), 10);
        record(e, 0, 500, 50);
        assertThat(e.ejectedCount()).isZero();
    }

    @Test
    @DisplayName("an enforcement percentage ejects about that share of detected hosts, repeatably with a seed")
    void enforcementPercentageRollsTheInjectedRandom() {
        OutlierDetectionConfig config = OutlierDetectionConfig.builder().enforcingConsecutive5xx(50)
                .maxEjectionPercent(100).build();
        int[] ejected = new int[2];
        for (int run = 0; run < 2; run++) {
            OutlierDetector d = OutlierDetector.create(config, Fixtures.hosts(200), RandomSource.seeded(42), clock, null);
            for (int h = 0; h < 200; h++) {
                record(d, h, 500, 5);
            }
            ejected[run] = d.ejectedCount();
        }
        assertThat(ejected[0]).isBetween(70, 130).isEqualTo(ejected[1]);
    }

    @Test
    @DisplayName("an ejected host's run does not trigger again; its return clears every run (checkHostForUneject, unejectHost)")
    void ejectedHostRunsAndReturnReset() {
        OutlierDetectionConfig config = OutlierDetectionConfig.builder().build();
        OutlierDetector d = detector(config, 10);
        record(d, 0, 500, 5);
        record(d, 0, 500, 20);
        assertThat(log.events).hasSize(1);
        clock.advance(Duration.ofSeconds(30).toNanos());
        d.sweep();
        assertThat(d.isEjected(0)).isFalse();
        record(d, 0, 500, 4);
        assertThat(d.isEjected(0)).as("the 25 failures before the return no longer count").isFalse();
        d.record(0, 500);
        assertThat(d.isEjected(0)).isTrue();
    }

    @Test
    @DisplayName("recording never throws: unknown host ids and null results are ignored")
    void recordingIgnoresBadInput() {
        OutlierDetector d = detector(OutlierDetectionConfig.defaults(), 3);
        for (int i = 0; i < 10; i++) {
            d.record(-1, 500);
            d.record(3, 500);
            d.record(Integer.MIN_VALUE, 503);
            d.recordLocalOrigin(7, LocalOriginResult.TIMEOUT);
            d.recordLocalOrigin(0, null);
            d.record(0, -42);
        }
        assertThat(d.ejectedCount()).isZero();
        assertThat(d.isEjected(-1)).isFalse();
        assertThat(d.ejectedUntilNanos(99)).isEqualTo(OutlierDetector.NOT_EJECTED);
        assertThat(d.ejectionCount(99)).isZero();
    }

    @org.junit.jupiter.api.Test
    void outcomesRecordedByEndpointFollowTheEndpointAcrossAnUpdate() {
        dev.meridian.core.EndpointTable before = Fixtures.hosts(4);
        OutlierDetector d = OutlierDetector.create(OutlierDetectionConfig.builder().maxEjectionPercent(100).build(),
                before, dev.meridian.core.RandomSource.seeded(1), dev.meridian.core.Clocks.manual(), null);
        dev.meridian.core.Endpoint third = before.endpoint(2);
        // The new table lists the hosts in reverse, so the old id 2 now names another host.
        java.util.List<dev.meridian.core.Endpoint> reversed = new java.util.ArrayList<>(before.endpoints());
        java.util.Collections.reverse(reversed);
        d.update(dev.meridian.core.EndpointTable.of(reversed));
        for (int i = 0; i < 5; i++) {
            d.record(third, 500);
        }
        int now = d.table().idOf(third);
        org.assertj.core.api.Assertions.assertThat(now).isEqualTo(1);
        org.assertj.core.api.Assertions.assertThat(d.isEjected(now)).isTrue();
        org.assertj.core.api.Assertions.assertThat(d.ejectedCount()).isEqualTo(1);
    }

    @Test
    @DisplayName("a run handed over but not yet decided when its host returns is dropped: the failures came from requests sent before the return")
    void pendingRunIsDroppedOnReturn() {
        OutlierDetector d = detector(OutlierDetectionConfig.builder().maxEjectionPercent(100).build(), 3);
        record(d, 0, 500, 5);
        assertThat(d.isEjected(0)).isTrue();
        // Requests in flight during the ejection complete a run; the owner has not looked yet.
        for (int i = 0; i < 5; i++) {
            d.recorder().record(d.monitor(0), 500);
        }
        clock.advance(Duration.ofSeconds(30).toNanos());
        d.sweep();
        assertThat(d.isEjected(0)).as("back after its 30 s").isFalse();
        d.applyPending(d.monitor(0));
        assertThat(d.isEjected(0)).as("not ejected again for failures from before its return").isFalse();
    }
}
