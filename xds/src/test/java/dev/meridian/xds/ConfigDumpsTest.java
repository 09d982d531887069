package dev.meridian.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Reads an Istio sidecar's config dump (src/test/resources/istio/README.md says what it holds). */
class ConfigDumpsTest {

    static final String REVIEWS = "outbound|9080||reviews.bookinfo.svc.cluster.local";
    static final String RATINGS = "outbound|9080||ratings.bookinfo.svc.cluster.local";
    static final String DETAILS = "outbound|9080||details.bookinfo.svc.cluster.local";

    static String resource(String path) {
        try (InputStream in = ConfigDumpsTest.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("no resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    final ConfigDumps.Dump dump = ConfigDumps.read(resource("/istio/sidecar-config-dump.json"));

    @Test
    void readsTheNodeAndTheEnvoyReleaseFromTheBootstrap() {
        assertThat(dump.nodeLocality()).isEqualTo(Locality.of("us-east1", "us-east1-b", ""));
        assertThat(dump.envoyMinor()).isEqualTo(34);
        assertThat(dump.clusters()).containsOnlyKeys("prometheus_stats", "agent", "BlackHoleCluster", DETAILS, RATINGS,
                REVIEWS);
        assertThat(dump.clusters().get(REVIEWS).nodeLocality()).isEqualTo(dump.nodeLocality());
    }

    @Test
    void leavesOutWhatMeridianCannotRunNamingEachCluster() {
        assertThat(dump.warnings()).extracting(XdsWarning::field).contains(
                "cluster[\"sds-grpc\"]", "cluster[\"xds-grpc\"]", "cluster[\"InboundPassthroughCluster\"]",
                "cluster[\"PassthroughCluster\"]");
        assertThat(warning(dump, "cluster[\"sds-grpc\"]").message()).contains(".pipe:");
        assertThat(warning(dump, "cluster[\"PassthroughCluster\"]").message()).contains("ORIGINAL_DST");
        // the dump's health is Envoy's view of the host, said once
        assertThat(dump.warnings()).anySatisfy(w -> assertThat(w.message()).contains("addLbEndpoint"));
        // listeners, routes and secrets are not about endpoint choice
        assertThat(dump.warnings()).noneSatisfy(w -> assertThat(w.message()).contains("is not one Meridian reads"));
    }

    @Test
    void reviewsFailsOverAcrossThreePrioritiesWithPanicOff() {
        ConfigDumps.DumpedCluster reviews = dump.clusters().get(REVIEWS);
        assertThat(reviews.settings().lb().policy()).isEqualTo(LbPolicy.LEAST_REQUEST);
        assertThat(reviews.settings().lb().panicThreshold()).isZero();
        assertThat(reviews.settings().lb().envoyRelease()).isEqualTo(34);
        assertThat(reviews.settings().outlierDetection().consecutive5xx()).isEqualTo(3);
        assertThat(reviews.settings().outlierDetection().interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(reviews.settings().outlierDetection().enforcingSuccessRate()).isZero();
        // not set by Istio: Envoy's DetectorConfig defaults
        assertThat(reviews.settings().outlierDetection().consecutiveGatewayFailure()).isEqualTo(5);
        assertThat(reviews.settings().outlierDetection().enforcingConsecutiveGatewayFailure()).isZero();

        EndpointTable t = reviews.assignment().table();
        assertThat(t.priorityCount()).isEqualTo(3);
        assertThat(t.size()).isEqualTo(6);
        assertThat(t.priority(t.indexOf("10.8.1.20:9080"))).isZero();
        assertThat(t.priority(t.indexOf("10.8.2.22:9080"))).isEqualTo(1);
        assertThat(t.priority(t.indexOf("10.9.0.25:9080"))).isEqualTo(2);
        assertThat(t.health(t.indexOf("10.8.1.21:9080"))).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(t.health(t.indexOf("10.9.0.25:9080"))).isEqualTo(HealthStatus.DEGRADED);
        assertThat(t.endpoint(t.indexOf("10.9.0.24:9080")).locality()).isEqualTo(Locality.parse("us-west1/us-west1-a"));
        assertThat(reviews.lbConfig().overprovisioningFactor()).isEqualTo(140);

        // circuit breakers are reported; Istio's filters, TLS and protocol options are not about
        // endpoint choice, nor are the istio and transport-socket metadata of each host
        assertThat(reviews.warnings()).extracting(XdsWarning::field).containsExactly("cluster.circuit_breakers");
    }

    @Test
    void ratingsWarmsUpAndKeepsItsPanicThreshold() {
        ConfigDumps.DumpedCluster ratings = dump.clusters().get(RATINGS);
        assertThat(ratings.settings().lb().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(ratings.settings().lb().slowStart().window()).isEqualTo(Duration.ofSeconds(60));
        assertThat(ratings.settings().lb().panicThreshold()).isEqualTo(25);
        assertThat(ratings.settings().outlierDetection().consecutiveGatewayFailure()).isEqualTo(3);
        assertThat(ratings.settings().outlierDetection().enforcingConsecutiveGatewayFailure()).isEqualTo(100);
        assertThat(ratings.assignment().table().priorityCount()).isEqualTo(3);
    }

    @Test
    void detailsWithoutOutlierDetectionStaysInOnePriority() {
        ConfigDumps.DumpedCluster details = dump.clusters().get(DETAILS);
        assertThat(details.settings().outlierDetection()).isNull();
        assertThat(details.settings().lb().panicThreshold()).isEqualTo(50);
        assertThat(details.assignment().table().priorityCount()).isEqualTo(1);
        assertThat(details.assignment().table().localityCount()).isEqualTo(3);
    }

    @Test
    void staticClustersTakeTheirEndpointsFromTheDump() {
        ConfigDumps.DumpedCluster stats = dump.clusters().get("prometheus_stats");
        assertThat(stats.assignment().table().endpoints()).extracting(e -> e.address()).containsExactly(
                "127.0.0.1:15000");
        assertThat(stats.warnings()).isEmpty();
        assertThat(dump.clusters().get("BlackHoleCluster").assignment().table().size()).isZero();
    }

    @Test
    void aSectionOfAnUnknownTypeIsSkippedWithAWarning() {
        ConfigDumps.Dump d = ConfigDumps.read("{\"configs\": [{\"@type\": "
                + "\"type.googleapis.com/envoy.admin.v3.FutureConfigDump\", \"things\": []}]}", 30);
        assertThat(d.clusters()).isEmpty();
        assertThat(d.warnings()).extracting(XdsWarning::field).containsExactly("config_dump.configs[0]");
    }

    @Test
    void aDumpThatIsNotJsonIsRejected() {
        assertThatThrownBy(() -> ConfigDumps.read("{\"configs\": [", 30))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("config_dump: malformed JSON");
        assertThatThrownBy(() -> ConfigDumps.read("{\"clusters\": []}", 30))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("config_dump.configs: must be a list");
    }

    static XdsWarning warning(ConfigDumps.Dump d, String field) {
        return d.warnings().stream().filter(w -> w.field().equals(field)).findFirst().orElseThrow();
    }
}
