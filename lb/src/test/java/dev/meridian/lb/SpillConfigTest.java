package dev.meridian.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Locality;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link SpillConfig}: defaults, validation naming the field and the value, and its place in {@link LbConfig}. */
class SpillConfigTest {

    private static final Locality HERE = Locality.of("r1", "z1", "");

    @Test
    void defaults() {
        SpillConfig c = SpillConfig.of(8);
        assertThat(c.spillThreshold()).isEqualTo(0.8);
        assertThat(c.releaseThreshold()).isEqualTo(0.6);
        assertThat(c.hostCapacity()).isEqualTo(8.0);
        assertThat(c.localityCapacity()).isEmpty();
        assertThat(c.smoothing()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.evaluationInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(LbConfig.defaults().spill()).isNull();
    }

    @Test
    void withersChangeOneField() {
        SpillConfig c = SpillConfig.of(8).withThresholds(2.0, 0.8).withHostCapacity(1)
                .withLocalityCapacity(Map.of(HERE, 40.0)).withSmoothing(Duration.ZERO)
                .withEvaluationInterval(Duration.ofMillis(100));
        assertThat(c).isEqualTo(new SpillConfig(2.0, 0.8, 1, Map.of(HERE, 40.0), Duration.ZERO,
                Duration.ofMillis(100)));
    }

    @Test
    void badValuesNameTheFieldAndTheValue() {
        SpillConfig c = SpillConfig.of(8);
        assertThatThrownBy(() -> SpillConfig.of(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.hostCapacity: must be a finite number > 0, got 0.0");
        assertThatThrownBy(() -> SpillConfig.of(Double.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.hostCapacity: must be a finite number > 0, got Infinity");
        assertThatThrownBy(() -> c.withThresholds(Double.NaN, 0.5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.spillThreshold: must be a finite number > 0, got NaN");
        assertThatThrownBy(() -> c.withThresholds(-1, 0.5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.spillThreshold: must be a finite number > 0, got -1.0");
        assertThatThrownBy(() -> c.withThresholds(0.8, 0.8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.releaseThreshold: must be > 0 and below spillThreshold 0.8, got 0.8");
        assertThatThrownBy(() -> c.withThresholds(0.8, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.releaseThreshold: must be > 0 and below spillThreshold 0.8, got 0.0");
        assertThatThrownBy(() -> c.withLocalityCapacity(Map.of(HERE, -2.0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.localityCapacity[r1/z1]: must be a finite number > 0, got -2.0");
        Map<Locality, Double> nullValue = new HashMap<>();
        nullValue.put(HERE, null);
        assertThatThrownBy(() -> c.withLocalityCapacity(nullValue)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.localityCapacity[r1/z1]: must be a finite number > 0, got null");
        assertThatThrownBy(() -> c.withLocalityCapacity(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("spill.localityCapacity: must not be null");
        assertThatThrownBy(() -> c.withSmoothing(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.smoothing: must be 0 or more, got PT-1S");
        assertThatThrownBy(() -> c.withEvaluationInterval(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.evaluationInterval: must be greater than zero, got PT0S");
        assertThatThrownBy(() -> c.withEvaluationInterval(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.evaluationInterval: must be greater than zero, got null");
    }

    @Test
    void localityCapacityIsCopied() {
        Map<Locality, Double> given = new HashMap<>(Map.of(HERE, 10.0));
        SpillConfig c = SpillConfig.of(1).withLocalityCapacity(given);
        given.put(HERE, 20.0);
        assertThat(c.localityCapacity()).containsEntry(HERE, 10.0);
        assertThatThrownBy(() -> c.localityCapacity().put(HERE, 1.0)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void lbConfigCarriesItInEqualityToStringAndBuilders() {
        SpillConfig spill = SpillConfig.of(8);
        LbConfig on = LbConfig.defaults().withSpill(spill);
        assertThat(on.spill()).isEqualTo(spill);
        assertThat(on).isNotEqualTo(LbConfig.defaults());
        assertThat(on).isEqualTo(LbConfig.builder().spill(SpillConfig.of(8)).build());
        assertThat(on.hashCode()).isEqualTo(LbConfig.builder().spill(SpillConfig.of(8)).build().hashCode());
        assertThat(on.toBuilder().build()).isEqualTo(on);
        assertThat(on.withSpill(null)).isEqualTo(LbConfig.defaults());
        assertThat(on.toString()).contains("spill=SpillConfig[spillThreshold=0.8, releaseThreshold=0.6, hostCapacity=8.0");
        assertThat(LbConfig.defaults().toString()).endsWith(", spill=null]");
    }
}
