package dev.meridian.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UInt32Value;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.OutlierDetectionConfig;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.type.v3.Percent;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class EnvoyClustersTest {

    static Cluster.Builder eds(String name) {
        return Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.EDS);
    }

    @Test
    void mapsEachLegacyPolicy() {
        for (Cluster.LbPolicy p : new Cluster.LbPolicy[] {Cluster.LbPolicy.ROUND_ROBIN, Cluster.LbPolicy.LEAST_REQUEST,
                Cluster.LbPolicy.RANDOM, Cluster.LbPolicy.RING_HASH, Cluster.LbPolicy.MAGLEV}) {
            ClusterSettings s = EnvoyClusters.fromEnvoy(eds("c").setLbPolicy(p).build(), 38).value();
            assertThat(s.lb().policy()).isEqualTo(LbPolicy.valueOf(p.name()));
            assertThat(s.outlierDetection()).isNull();
        }
    }

    @Test
    void readsPanicThresholdAndOutlierDetectionWithEnvoyDefaults() {
        Cluster c = eds("c")
                .setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
                        .setHealthyPanicThreshold(Percent.newBuilder().setValue(0)))
                .setOutlierDetection(OutlierDetection.newBuilder()
                        .setConsecutive5Xx(UInt32Value.of(3))
                        .setBaseEjectionTime(com.google.protobuf.Duration.newBuilder().setSeconds(60)))
                .build();

        Translated<ClusterSettings> t = EnvoyClusters.fromEnvoy(c, 38);

        assertThat(t.warnings()).isEmpty();
        assertThat(t.value().lb().panicThreshold()).isZero();
        OutlierDetectionConfig o = t.value().outlierDetection();
        assertThat(o.consecutive5xx()).isEqualTo(3);
        assertThat(o.interval()).isEqualTo(Duration.ofSeconds(10));
        // DetectorConfig: max_ejection_time defaults to max(300s, base_ejection_time)
        assertThat(o.maxEjectionTime()).isEqualTo(Duration.ofSeconds(300));
        assertThat(o.baseEjectionTime()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void roundTripsThroughEnvoy() {
        ClusterSettings s = new ClusterSettings("c", LbConfig.builder().policy(LbPolicy.LEAST_REQUEST)
                .leastRequestChoiceCount(3).panicThreshold(20).localityWeighted(true).envoyRelease(30).build(),
                OutlierDetectionConfig.builder().consecutive5xx(7).envoyRelease(30).build());

        Translated<ClusterSettings> back = EnvoyClusters.fromEnvoy(EnvoyClusters.toEnvoy(s), 30);

        assertThat(back.warnings()).isEmpty();
        assertThat(back.value()).isEqualTo(s);
    }

    @Test
    void clusterProvidedIsRejected() {
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(eds("c").setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                .build(), 38))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cluster.lb_policy: ")
                .hasMessageContaining("'CLUSTER_PROVIDED'");
    }
}
