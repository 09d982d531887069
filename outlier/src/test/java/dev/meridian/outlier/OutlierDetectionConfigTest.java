package dev.meridian.outlier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Defaults and validation as Envoy's {@code api/envoy/config/cluster/v3/outlier_detection.proto}
 * documents them and {@code source/common/upstream/outlier_detection_impl.h} ({@code DetectorConfig}
 * constants) sets them. Where they disagree the source wins: the proto comment still says the
 * max ejection percent ejects at least one host regardless, the source no longer does.
 */
class OutlierDetectionConfigTest {

    @Test
    @DisplayName("defaults are Envoy's DetectorConfig constants")
    void defaults() {
        OutlierDetectionConfig c = OutlierDetectionConfig.defaults();
        assertThat(c.interval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.maxEjectionTime()).isEqualTo(Duration.ofSeconds(300));
        assertThat(c.maxEjectionTimeJitter()).isZero();
        assertThat(c.maxEjectionPercent()).isEqualTo(10);
        assertThat(c.alwaysEjectOneHost()).isFalse();
        assertThat(c.consecutive5xx()).isEqualTo(5);
        assertThat(c.enforcingConsecutive5xx()).isEqualTo(100);
        assertThat(c.consecutiveGatewayFailure()).isEqualTo(5);
        assertThat(c.enforcingConsecutiveGatewayFailure()).isZero();
        assertThat(c.splitExternalLocalOriginErrors()).isFalse();
        assertThat(c.consecutiveLocalOriginFailure()).isEqualTo(5);
        assertThat(c.enforcingConsecutiveLocalOriginFailure()).isEqualTo(100);
        assertThat(c.successRateMinimumHosts()).isEqualTo(5);
        assertThat(c.successRateRequestVolume()).isEqualTo(100);
        assertThat(c.successRateStdevFactor()).isEqualTo(1900);
        assertThat(c.enforcingSuccessRate()).isEqualTo(100);
        assertThat(c.enforcingLocalOriginSuccessRate()).isEqualTo(100);
        assertThat(c.failurePercentageThreshold()).isEqualTo(85);
        assertThat(c.failurePercentageMinimumHosts()).isEqualTo(5);
        assertThat(c.failurePercentageRequestVolume()).isEqualTo(50);
        assertThat(c.enforcingFailurePercentage()).isZero();
        assertThat(c.enforcingFailurePercentageLocalOrigin()).isZero();
    }

    @Test
    @DisplayName("max_ejection_time defaults to max(300s, base_ejection_time) and may not be below the base")
    void maxEjectionTime() {
        assertThat(OutlierDetectionConfig.builder().baseEjectionTime(Duration.ofMinutes(10)).build().maxEjectionTime())
                .isEqualTo(Duration.ofMinutes(10));
        assertThatThrownBy(() -> OutlierDetectionConfig.builder().baseEjectionTime(Duration.ofSeconds(60))
                .maxEjectionTime(Duration.ofSeconds(30)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxEjectionTime").hasMessageContaining("PT30S");
    }

    @Test
    @DisplayName("bad values fail at build time naming the field and the value")
    void validation() {
        assertThatThrownBy(() -> OutlierDetectionConfig.builder().maxEjectionPercent(101))
                .hasMessage("maxEjectionPercent: must be 0..100, got 101");
        assertThatThrownBy(() -> OutlierDetectionConfig.builder().enforcingSuccessRate(-1))
                .hasMessage("enforcingSuccessRate: must be 0..100, got -1");
        assertThatThrownBy(() -> OutlierDetectionConfig.builder().consecutive5xx(-1))
                .hasMessage("consecutive5xx: must be >= 0, got -1");
        assertThatThrownBy(() -> OutlierDetectionConfig.builder().interval(Duration.ZERO))
                .hasMessageContaining("interval").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> OutlierDetectionConfig.builder().interval(null))
                .hasMessageContaining("interval").hasMessageContaining("null");
        assertThatThrownBy(() -> OutlierDetectionConfig.builder().maxEjectionTimeJitter(Duration.ofSeconds(-1)))
                .hasMessageContaining("maxEjectionTimeJitter").hasMessageContaining("PT-1S");
        assertThatThrownBy(() -> OutlierDetectionConfig.builder().baseEjectionTime(Duration.ofDays(100_000)))
                .hasMessageContaining("baseEjectionTime");
    }

    @Test
    @DisplayName("durations keep millisecond precision, as PROTOBUF_GET_MS_OR_DEFAULT reads them")
    void millisecondPrecision() {
        OutlierDetectionConfig c = OutlierDetectionConfig.builder().interval(Duration.ofNanos(2_999_999)).build();
        assertThat(c.interval()).isEqualTo(Duration.ofMillis(2));
    }

    @Test
    @DisplayName("toBuilder round-trips")
    void toBuilderRoundTrips() {
        OutlierDetectionConfig c = OutlierDetectionConfig.builder().interval(Duration.ofSeconds(3))
                .alwaysEjectOneHost(true).failurePercentageThreshold(60).splitExternalLocalOriginErrors(true).build();
        assertThat(c.toBuilder().build()).isEqualTo(c).hasSameHashCodeAs(c);
        assertThat(c.toString()).contains("alwaysEjectOneHost=true");
    }
}
