package dev.meridian.outlier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Clocks;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The outlier-detection rules that changed between releases, each with both sides of its boundary:
 * Istio's translation of the legacy {@code consecutiveErrors} (istio/istio#24087, commit a291ab6,
 * first tag 1.7.0), Envoy's max-ejection check in {@code outlier_detection_impl.cc}
 * {@code DetectorImpl::ejectHost} (envoyproxy/envoy#27624 and #27909, first in v1.27.0), the
 * ejection time without {@code max_ejection_time} before Envoy 1.17 (envoyproxy/envoy#14235,
 * changelogs/1.17.0.yaml) and {@code always_eject_one_host} from Envoy 1.31 (envoyproxy/envoy#34796).
 */
class ReleaseBoundaryTest {

    private final ManualClock clock = Clocks.manual();

    private OutlierDetector detector(OutlierDetectionConfig config, int hosts) {
        return OutlierDetector.create(config, Fixtures.hosts(hosts), RandomSource.seeded(7), clock, null);
    }

    private static void record(OutlierDetector d, int host, int status, int times) {
        for (int i = 0; i < times; i++) {
            d.record(host, status);
        }
    }

    private static IstioOutlierTranslation legacyFive(String release) {
        return IstioOutlierTranslation.translate(IstioRelease.parse(release), 5, null, null, null, null,
                Duration.ofMinutes(2), Duration.ofMinutes(5), 100, null);
    }

    @Test
    @DisplayName("consecutiveErrors 5, Istio 1.6 (v1alpha3/cluster.go applyOutlierDetection maps it): five 503s eject, five 500s do not")
    void consecutiveErrorsIstio16() {
        OutlierDetectionConfig c = legacyFive("1.6").config();
        assertThat(c.consecutiveGatewayFailure()).isEqualTo(5);
        assertThat(c.enforcingConsecutiveGatewayFailure()).isEqualTo(100);
        assertThat(c.enforcingConsecutive5xx()).isZero();
        OutlierDetector d = detector(c, 4);
        record(d, 0, 503, 5);
        record(d, 1, 500, 5);
        assertThat(d.isEjected(0)).isTrue();
        assertThat(d.isEjected(1)).as("plain 500s are not gateway errors, and 5xx runs are not enforced").isFalse();
    }

    @Test
    @DisplayName("consecutiveErrors 5, Istio 1.7 (#24087 removed the mapping): Envoy's defaults stand, five 500s eject (5xx @100)")
    void consecutiveErrorsIstio17() {
        IstioOutlierTranslation t = legacyFive("1.7");
        OutlierDetectionConfig c = t.config();
        assertThat(c.consecutive5xx()).isEqualTo(5);
        assertThat(c.enforcingConsecutive5xx()).isEqualTo(100);
        assertThat(c.enforcingConsecutiveGatewayFailure()).isZero();
        assertThat(t.notes()).anyMatch(n -> n.contains("ignored under Istio 1.7 rules"));
        OutlierDetector d = detector(c, 4);
        record(d, 1, 500, 5);
        assertThat(d.isEjected(1)).isTrue();
    }

    @Test
    @DisplayName("consecutiveErrors 3 with three 503s: Istio 1.6 ejects, current Istio does not (five 5xx needed)")
    void consecutiveErrorsThree() {
        OutlierDetector old = detector(IstioOutlierTranslation.translate(IstioRelease.parse("1.6"), 3, null, null,
                null, null, null, null, 100, null).config(), 4);
        OutlierDetector now = detector(IstioOutlierTranslation.translate(IstioRelease.LATEST, 3, null, null,
                null, null, null, null, 100, null).config(), 4);
        record(old, 0, 503, 3);
        record(now, 0, 503, 3);
        assertThat(old.isEjected(0)).isTrue();
        assertThat(now.isEjected(0)).isFalse();
        record(now, 0, 503, 2);
        assertThat(now.isEjected(0)).as("the fifth 503 completes Envoy's default 5xx run").isTrue();
    }

    @Test
    @DisplayName("3 hosts, max 10%: Envoy 1.26 (ejectHost: 100*active/n < max) ejects the first and refuses the second; 1.27 (100*(active+1)/n <= max) ejects none")
    void capDefaultTenPercent() {
        OutlierDetector old = detector(OutlierDetectionConfig.builder().envoyRelease(26).build(), 3);
        OutlierDetector now = detector(OutlierDetectionConfig.builder().envoyRelease(27).build(), 3);
        for (int h = 0; h < 3; h++) {
            record(old, h, 500, 5);
            record(now, h, 500, 5);
        }
        assertThat(old.ejectedCount()).as("0/3 < 10 lets the first through; 1/3 = 33% is not < 10").isEqualTo(1);
        assertThat(now.ejectedCount()).as("1/3 = 33% > 10 already").isZero();
        assertThat(old.config().ejectionCapCountsThisHost()).isFalse();
        assertThat(now.config().ejectionCapCountsThisHost()).isTrue();
    }

    @Test
    @DisplayName("3 hosts, max 50%: Envoy 1.26 ejects two (0 < 50, 33 < 50, 67 not), exceeding the cap; 1.27 ejects one (33 <= 50, 67 > 50)")
    void capFiftyPercent() {
        OutlierDetector old = detector(OutlierDetectionConfig.builder().envoyRelease(26).maxEjectionPercent(50).build(), 3);
        OutlierDetector now = detector(OutlierDetectionConfig.builder().envoyRelease(27).maxEjectionPercent(50).build(), 3);
        for (int h = 0; h < 3; h++) {
            record(old, h, 500, 5);
            record(now, h, 500, 5);
        }
        assertThat(old.ejectedCount()).isEqualTo(2);
        assertThat(now.ejectedCount()).isEqualTo(1);
    }

    @Test
    @DisplayName("max 0%: no ejection under either rule (0 < 0 is false; 33 <= 0 is false)")
    void capZero() {
        OutlierDetector old = detector(OutlierDetectionConfig.builder().envoyRelease(26).maxEjectionPercent(0).build(), 3);
        record(old, 0, 500, 5);
        assertThat(old.ejectedCount()).isZero();
    }

    @Test
    @DisplayName("always_eject_one_host: Envoy 1.31 lets the first through; before 1.31 the field does not exist and is refused naming it")
    void alwaysEjectOneHost() {
        OutlierDetector d = detector(OutlierDetectionConfig.builder().envoyRelease(31).alwaysEjectOneHost(true).build(), 3);
        record(d, 0, 500, 5);
        record(d, 1, 500, 5);
        assertThat(d.ejectedCount()).isEqualTo(1);
        assertThatThrownBy(() -> OutlierDetectionConfig.builder().envoyRelease(30).alwaysEjectOneHost(true).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alwaysEjectOneHost").hasMessageContaining("Envoy 1.30");
    }

    @Test
    @DisplayName("base 30s, a host ejected again at each return: Envoy 1.16 gives 30, 60, ..., 360s (base × ejections, no cap); 1.17 caps at max_ejection_time 300s")
    void ejectionTimeGrowth() {
        long[] oldTimes = ejectionTimes(16, 12);
        long[] newTimes = ejectionTimes(17, 12);
        for (int i = 0; i < 12; i++) {
            assertThat(oldTimes[i]).as("ejection " + (i + 1)).isEqualTo(30L * (i + 1));
            assertThat(newTimes[i]).as("ejection " + (i + 1)).isEqualTo(Math.min(30L * (i + 1), 300));
        }
    }

    /** Ejects host 0 again as soon as it returns, and reports each ejection's length in seconds. */
    private long[] ejectionTimes(int envoyMinor, int ejections) {
        OutlierDetectionConfig config = OutlierDetectionConfig.builder().envoyRelease(envoyMinor)
                .maxEjectionPercent(100).interval(Duration.ofSeconds(1)).build();
        OutlierDetector d = detector(config, 2);
        long[] seconds = new long[ejections];
        for (int i = 0; i < ejections; i++) {
            record(d, 0, 500, 5);
            assertThat(d.isEjected(0)).isTrue();
            seconds[i] = (d.ejectedUntilNanos(0) - clock.nanoTime()) / 1_000_000_000L;
            while (d.isEjected(0)) {
                Clocks.advance(clock, Duration.ofSeconds(1));
                d.sweep();
            }
        }
        return seconds;
    }

    @Test
    @DisplayName("a host healthy for 20 intervals after an ejection: Envoy 1.17 lowers its multiplier (next ejection 30s); 1.16 never does (next 60s)")
    void multiplierDecrease() {
        for (int minor : new int[] {16, 17}) {
            OutlierDetectionConfig config = OutlierDetectionConfig.builder().envoyRelease(minor)
                    .maxEjectionPercent(100).interval(Duration.ofSeconds(10)).build();
            OutlierDetector d = detector(config, 2);
            record(d, 0, 500, 5);
            for (int i = 0; i < 25; i++) {
                Clocks.advance(clock, Duration.ofSeconds(10));
                d.sweep();
            }
            assertThat(d.isEjected(0)).isFalse();
            record(d, 0, 500, 5);
            long seconds = (d.ejectedUntilNanos(0) - clock.nanoTime()) / 1_000_000_000L;
            assertThat(seconds).as("Envoy 1." + minor).isEqualTo(minor >= 17 ? 30 : 60);
        }
    }

    @Test
    @DisplayName("envoyRelease outside 1.13..1.38 is refused naming the field and the value")
    void envoyReleaseRange() {
        assertThatThrownBy(() -> OutlierDetectionConfig.builder().envoyRelease(12))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("envoyRelease").hasMessageContaining("1.12");
        assertThat(OutlierDetectionConfig.defaults().envoyMinor()).isEqualTo(IstioRelease.LATEST.envoyMinor());
    }
}
