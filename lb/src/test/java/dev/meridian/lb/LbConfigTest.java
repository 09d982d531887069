package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Locality;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Configuration defaults are Envoy's ({@code api/envoy/config/cluster/v3/cluster.proto},
 * {@code least_request.proto}, {@code ring_hash.proto}, {@code maglev.proto}); invalid values fail
 * at build time naming the field and the value.
 */
class LbConfigTest {

    @Test
    @DisplayName("cluster.proto defaults: round robin, factor 140, panic 50%, 2 choices, bias 1.0, rings 1024..8M, Maglev 65537")
    void defaults() {
        LbConfig c = LbConfig.defaults();
        assertThat(c.policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(c.overprovisioningFactor()).isEqualTo(140);
        assertThat(c.panicThreshold()).isEqualTo(50.0);
        assertThat(c.localityWeighted()).isFalse();
        assertThat(c.zoneAware()).isNull();
        assertThat(c.leastRequestChoiceCount()).isEqualTo(2);
        assertThat(c.activeRequestBias()).isEqualTo(1.0);
        assertThat(c.ringHashMinimumSize()).isEqualTo(1024);
        assertThat(c.ringHashMaximumSize()).isEqualTo(8_388_608);
        assertThat(c.maglevTableSize()).isEqualTo(65_537);
        assertThat(c.slowStart()).isNull();
        assertThat(c.failTrafficOnPanic()).isFalse();
        assertThat(c.toBuilder().build()).isEqualTo(c).hasSameHashCodeAs(c);
        SlowStartConfig s = SlowStartConfig.of(Duration.ofSeconds(30));
        assertThat(s.aggression()).isEqualTo(1.0);
        assertThat(s.minWeightPercent()).isEqualTo(10.0);
        ZoneAwareConfig z = ZoneAwareConfig.builder().localLocality(Locality.parse("r/z")).build();
        assertThat(z.minClusterSize()).isEqualTo(6);
        assertThat(z.routingEnabledPercent()).isEqualTo(100.0);
    }

    @Test
    @DisplayName("invalid values name the field and the value")
    void invalidValues() {
        assertThatThrownBy(() -> LbConfig.builder().overprovisioningFactor(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overprovisioningFactor").hasMessageContaining("0");
        assertThatThrownBy(() -> LbConfig.builder().panicThreshold(100.5))
                .hasMessageContaining("panicThreshold").hasMessageContaining("100.5");
        assertThatThrownBy(() -> LbConfig.builder().panicThreshold(Double.NaN)).hasMessageContaining("NaN");
        assertThatThrownBy(() -> LbConfig.builder().leastRequestChoiceCount(1))
                .hasMessageContaining("leastRequestChoiceCount").hasMessageContaining("1");
        assertThatThrownBy(() -> LbConfig.builder().activeRequestBias(-0.5))
                .hasMessageContaining("activeRequestBias").hasMessageContaining("-0.5");
        assertThatThrownBy(() -> LbConfig.builder().ringHashMinimumSize(0)).hasMessageContaining("ringHashMinimumSize");
        assertThatThrownBy(() -> LbConfig.builder().ringHashMaximumSize(8_388_609))
                .hasMessageContaining("ringHashMaximumSize").hasMessageContaining("8388609");
        assertThatThrownBy(() -> LbConfig.builder().ringHashMinimumSize(2048).ringHashMaximumSize(1024).build())
                .hasMessageContaining("ringHashMinimumSize").hasMessageContaining("2048");
        assertThatThrownBy(() -> LbConfig.builder().maglevTableSize(65_536))
                .hasMessageContaining("maglevTableSize").hasMessageContaining("65536");
        assertThatThrownBy(() -> LbConfig.builder().maglevTableSize(5_000_101))
                .hasMessageContaining("maglevTableSize").hasMessageContaining("5000101");
        assertThatThrownBy(() -> LbConfig.builder().policy(null)).hasMessageContaining("policy");
        assertThatThrownBy(() -> new SlowStartConfig(Duration.ZERO, 1, 10))
                .hasMessageContaining("slowStart.window").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> new SlowStartConfig(Duration.ofSeconds(1), 0, 10))
                .hasMessageContaining("slowStart.aggression").hasMessageContaining("0.0");
        assertThatThrownBy(() -> new SlowStartConfig(Duration.ofSeconds(1), 1, 101))
                .hasMessageContaining("slowStart.minWeightPercent").hasMessageContaining("101");
        assertThatThrownBy(() -> ZoneAwareConfig.builder().build()).hasMessageContaining("zoneAware.localLocality");
        assertThatThrownBy(() -> ZoneAwareConfig.builder().minClusterSize(-1))
                .hasMessageContaining("zoneAware.minClusterSize").hasMessageContaining("-1");
        assertThatThrownBy(() -> ZoneAwareConfig.builder().routingEnabledPercent(101))
                .hasMessageContaining("zoneAware.routingEnabledPercent").hasMessageContaining("101");
        assertThatThrownBy(() -> ZoneAwareConfig.builder().localHosts(Locality.UNKNOWN, 2, 3))
                .hasMessageContaining("zoneAware.localHealthyHosts").hasMessageContaining("3");
        assertThatThrownBy(() -> LoadBalancer.create(null, null, null, null)).hasMessageContaining("config");
    }

    @Test
    @DisplayName("maglev.proto: any prime up to 5000011 is a valid table size")
    void primeTableSizes() {
        assertThat(LbConfig.builder().maglevTableSize(5_000_011).build().maglevTableSize()).isEqualTo(5_000_011);
        assertThat(LbConfig.builder().maglevTableSize(2).build().maglevTableSize()).isEqualTo(2);
    }
}
