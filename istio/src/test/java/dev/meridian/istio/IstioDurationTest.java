package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Istio duration strings. Istio decodes {@code google.protobuf.Duration} fields from Kubernetes
 * YAML with {@code github.com/golang/protobuf/jsonpb}, which calls Go's {@code time.ParseDuration}
 * ({@code src/time/format.go}); the table below is that function's grammar. The
 * DestinationRule reference (istio.io/latest/docs/reference/config/networking/destination-rule/)
 * writes these fields as {@code 1h/1m/1s/1ms}.
 */
class IstioDurationTest {

    @DisplayName("Go time.ParseDuration accepts (src/time/format.go)")
    @ParameterizedTest(name = "{0} = {1} ns")
    @CsvSource({
            "2m, 120000000000",
            "5m, 300000000000",
            "1.5s, 1500000000",
            "100ms, 100000000",
            "1h, 3600000000000",
            "30s, 30000000000",
            "1h30m, 5400000000000",
            "0.5s, 500000000",
            "10us, 10000",
            "10µs, 10000",
            "10μs, 10000",
            "1ns, 1",
            "0, 0",
            "0s, 0",
            "+5s, 5000000000",
            ".5s, 500000000",
            "1.s, 1000000000",
            "1h1m1s1ms1us1ns, 3661001001001",
            "1s1s, 2000000000",
            "0.1s, 100000000",
            "1.000000001s, 1000000001",
            "2562047h47m16.854775807s, 9223372036854775807",
            "9223372036854775807ns, 9223372036854775807",
    })
    void parsesGoDurations(String text, long nanos) {
        assertThat(IstioDuration.parse("interval", text)).isEqualTo(Duration.ofNanos(nanos));
    }

    @Test
    @DisplayName("fractions go through a double, as in Go: 0.3h and 1.0000000001s")
    void fractionsRoundLikeGo() {
        // Go: uint64(float64(3) * (float64(time.Hour) / 10)) = 1080000000000 exactly.
        assertThat(IstioDuration.parse("f", "0.3h")).isEqualTo(Duration.ofNanos(1_080_000_000_000L));
        // Ten fraction digits: the last is below a nanosecond and is truncated away.
        assertThat(IstioDuration.parse("f", "1.0000000001s")).isEqualTo(Duration.ofNanos(1_000_000_000L));
    }

    @DisplayName("rejects, naming field and value")
    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"", " ", "abc", "1", "1d", "1.5", "s", ".s", ".", "1 s", "1S", "1H", "1m 30s", "m1",
            "9223372036854775808ns", "2562048h", "3000000h", "1e3s", "0x10s", "++1s", "1s-1s", "9223372036854775807ns1ns"})
    void rejectsMalformed(String text) {
        assertThatThrownBy(() -> IstioDuration.parse("spec.trafficPolicy.outlierDetection.interval", text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("spec.trafficPolicy.outlierDetection.interval: invalid duration '" + text + "'");
    }

    @Test
    void rejectsNegatives() {
        assertThatThrownBy(() -> IstioDuration.parse("baseEjectionTime", "-1s"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("baseEjectionTime: invalid duration '-1s': must not be negative");
        assertThatThrownBy(() -> IstioDuration.parse("baseEjectionTime", "-0"))
                .hasMessageContaining("must not be negative");
    }

    @Test
    void explainsUnknownAndMissingUnits() {
        assertThatThrownBy(() -> IstioDuration.parse("interval", "1d"))
                .hasMessage("interval: invalid duration '1d': unknown unit 'd'; units are ns, us, µs, ms, s, m, h");
        assertThatThrownBy(() -> IstioDuration.parse("interval", "30"))
                .hasMessage("interval: invalid duration '30': missing unit; units are ns, us, µs, ms, s, m, h");
        assertThatThrownBy(() -> IstioDuration.parse("interval", null))
                .hasMessage("interval: invalid duration null: missing value");
    }

    @Test
    void wrappingSumIsRejectedWhereGoWouldReturnZero() {
        // Go adds two 2^63 ns terms in uint64 and wraps to 0; a configuration reader must not.
        assertThatThrownBy(() -> IstioDuration.parse("d", "9223372036854775808ns9223372036854775808ns"))
                .hasMessageContaining("out of range");
    }

    @DisplayName("format writes Go's time.Duration.String notation")
    @ParameterizedTest(name = "{0} ns = {1}")
    @CsvSource({
            "0, 0s",
            "1, 1ns",
            "1500, 1.5µs",
            "100000000, 100ms",
            "1500000000, 1.5s",
            "120000000000, 2m0s",
            "300000000000, 5m0s",
            "3600000000000, 1h0m0s",
            "5400000000000, 1h30m0s",
            "3661001001001, 1h1m1.001001001s",
    })
    void formatsLikeGo(long nanos, String text) {
        assertThat(IstioDuration.format(Duration.ofNanos(nanos))).isEqualTo(text);
    }

    @Test
    void formatsOutOfRangeDurationsWithoutFailing() {
        assertThat(IstioDuration.format(Duration.ofDays(400 * 365L))).isEqualTo(Duration.ofDays(400 * 365L).toString());
        assertThat(IstioDuration.format(Duration.ofSeconds(-90))).isEqualTo("-1m30s");
    }
}
