package dev.meridian.outlier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Istio's translation of a DestinationRule's outlier detection: {@code applyOutlierDetection} in
 * {@code pilot/pkg/networking/core/cluster_traffic_policy.go} (current), the legacy
 * {@code consecutiveErrors} branch of the same function in {@code pilot/pkg/networking/core/v1alpha3/cluster.go}
 * (releases that still accepted the field), and {@code validateOutlierDetection} in
 * {@code pilot/pkg/config/validation/validation.go}.
 */
class IstioOutlierTranslationTest {

    @Test
    @DisplayName("scenario 2 (consecutiveErrors 5, interval 2m, baseEjectionTime 5m), current Istio: the field is ignored (cluster_traffic_policy.go applyOutlierDetection), Envoy's 5xx 5 @100 and gateway 5 @0 stand, success rate @0, panic 0")
    void scenarioTwo() {
        IstioOutlierTranslation t = IstioOutlierTranslation.translate(5, null, null, null, null,
                Duration.ofMinutes(2), Duration.ofMinutes(5), null, null);
        OutlierDetectionConfig c = t.config();
        assertThat(c.consecutiveGatewayFailure()).isEqualTo(5);
        assertThat(c.enforcingConsecutiveGatewayFailure()).isZero();
        assertThat(c.consecutive5xx()).isEqualTo(5);
        assertThat(c.enforcingConsecutive5xx()).isEqualTo(100);
        assertThat(c.enforcingSuccessRate()).isZero();
        assertThat(c.interval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.baseEjectionTime()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.maxEjectionTime()).as("Envoy: max(300s, base)").isEqualTo(Duration.ofMinutes(5));
        assertThat(c.maxEjectionPercent()).as("absent: Envoy's default").isEqualTo(10);
        assertThat(c.alwaysEjectOneHost()).isFalse();
        assertThat(t.healthyPanicThreshold()).as("minHealthPercent absent: panic disabled").isZero();
        assertThat(t.notes()).anyMatch(n -> n.contains("consecutiveErrors 5 is ignored under Istio 1.30 rules")
                        && n.contains("plain 500 included") && n.contains("only Istio before 1.7"))
                .anyMatch(n -> n.contains("at least 10 hosts before any can be ejected"))
                .anyMatch(n -> n.contains("not ejected for longer"))
                .anyMatch(n -> n.contains("panic is disabled"));
    }

    @Test
    @DisplayName("consecutive5xxErrors / consecutiveGatewayErrors set the count and enforcement 100; 0 disables (cluster_traffic_policy.go)")
    void explicitCounts() {
        OutlierDetectionConfig c = IstioOutlierTranslation.translate(null, 7, 3, null, null, null, null, 30, 20)
                .config();
        assertThat(c.consecutive5xx()).isEqualTo(7);
        assertThat(c.enforcingConsecutive5xx()).isEqualTo(100);
        assertThat(c.consecutiveGatewayFailure()).isEqualTo(3);
        assertThat(c.enforcingConsecutiveGatewayFailure()).isEqualTo(100);
        assertThat(c.maxEjectionPercent()).isEqualTo(30);
        assertThat(c.interval()).isEqualTo(OutlierDetectionConfig.DEFAULT_INTERVAL);

        OutlierDetectionConfig off = IstioOutlierTranslation.translate(null, 0, 0, null, null, null, null, null,
                null).config();
        assertThat(off.consecutive5xx()).isZero();
        assertThat(off.enforcingConsecutive5xx()).isZero();
        assertThat(off.consecutiveGatewayFailure()).isZero();
        assertThat(off.enforcingConsecutiveGatewayFailure()).isZero();

        IstioOutlierTranslation panic = IstioOutlierTranslation.translate(null, null, null, null, null, null, null,
                null, 20);
        assertThat(panic.healthyPanicThreshold()).isEqualTo(20.0);
        assertThat(panic.config().enforcingConsecutive5xx()).as("absent: Envoy's default 5 @100").isEqualTo(100);
        assertThat(panic.notes()).anyMatch(n -> n.contains("consecutive5xxErrors is absent"));
    }

    @Test
    @DisplayName("explicit fields override the legacy mapping, which Istio applied first (v1alpha3/cluster.go)")
    void explicitFieldsOverrideLegacy() {
        OutlierDetectionConfig c = IstioOutlierTranslation.translate(5, 10, 2, null, null, null, null, null, null)
                .config();
        assertThat(c.consecutive5xx()).isEqualTo(10);
        assertThat(c.enforcingConsecutive5xx()).isEqualTo(100);
        assertThat(c.consecutiveGatewayFailure()).isEqualTo(2);
        assertThat(c.enforcingConsecutiveGatewayFailure()).isEqualTo(100);
    }

    @Test
    @DisplayName("split errors: local-origin count @100 when > 0, local-origin success rate @0 (cluster_traffic_policy.go)")
    void splitLocalOrigin() {
        OutlierDetectionConfig c = IstioOutlierTranslation.translate(null, null, null, 3, true, null, null, null,
                null).config();
        assertThat(c.splitExternalLocalOriginErrors()).isTrue();
        assertThat(c.consecutiveLocalOriginFailure()).isEqualTo(3);
        assertThat(c.enforcingConsecutiveLocalOriginFailure()).isEqualTo(100);
        assertThat(c.enforcingLocalOriginSuccessRate()).isZero();

        OutlierDetectionConfig unset = IstioOutlierTranslation.translate(null, null, null, null, true, null, null,
                null, null).config();
        assertThat(unset.consecutiveLocalOriginFailure()).as("Envoy's default stands")
                .isEqualTo(OutlierDetectionConfig.DEFAULT_CONSECUTIVE_LOCAL_ORIGIN_FAILURE);
    }

    @Test
    @DisplayName("validation rejects what validateOutlierDetection rejects, naming the field and the value")
    void validation() {
        assertThatThrownBy(() -> IstioOutlierTranslation.translate(null, null, null, 3, false, null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outlierDetection.consecutiveLocalOriginFailures").hasMessageContaining("3");
        assertThatThrownBy(() -> IstioOutlierTranslation.translate(null, null, null, null, null,
                Duration.ofNanos(500_000), null, null, null))
                .hasMessageContaining("outlierDetection.interval").hasMessageContaining("PT0.0005S");
        assertThatThrownBy(() -> IstioOutlierTranslation.translate(null, null, null, null, null, null,
                Duration.ofNanos(1_500_000), null, null))
                .hasMessageContaining("outlierDetection.baseEjectionTime").hasMessageContaining("ms precision");
        assertThatThrownBy(() -> IstioOutlierTranslation.translate(null, null, null, null, null, null, null, 101,
                null))
                .hasMessageContaining("outlierDetection.maxEjectionPercent").hasMessageContaining("101");
        assertThatThrownBy(() -> IstioOutlierTranslation.translate(null, null, null, null, null, null, null, null,
                -1))
                .hasMessageContaining("outlierDetection.minHealthPercent").hasMessageContaining("-1");
        assertThatThrownBy(() -> IstioOutlierTranslation.translate(-5, null, null, null, null, null, null, null,
                null))
                .hasMessageContaining("outlierDetection.consecutiveErrors").hasMessageContaining("-5");
    }

    @Test
    void notesSpeakIstioDurationsAndSkipTheCapWhenEveryHostMayGo() {
        IstioOutlierTranslation t = IstioOutlierTranslation.translate(5, null, null, null, null,
                java.time.Duration.ofMinutes(2), java.time.Duration.ofMinutes(5), 100, null);
        assertThat(t.notes()).noneMatch(n -> n.contains("hosts before any can be ejected"));
        assertThat(t.notes()).anyMatch(n -> n.startsWith("baseEjectionTime 5m is at least"));
        assertThat(IstioOutlierTranslation.text(java.time.Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(IstioOutlierTranslation.text(java.time.Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(IstioOutlierTranslation.text(java.time.Duration.ofMillis(100))).isEqualTo("100ms");
        assertThat(IstioOutlierTranslation.text(java.time.Duration.ofSeconds(30))).isEqualTo("30s");
    }
}
