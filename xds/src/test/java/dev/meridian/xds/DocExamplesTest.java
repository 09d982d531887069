package dev.meridian.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.util.JsonFormat;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.OutlierDetectionConfig;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Envoy's own documented configurations (src/test/resources/envoy-docs, each file naming where it
 * comes from), read as Envoy reads them and written back.
 */
class DocExamplesTest {

    static String yaml(String name) {
        return ConfigDumpsTest.resource("/envoy-docs/" + name);
    }

    static Translated<ClusterSettings> cluster(String json) {
        Translated<Cluster> parsed = ConfigDumps.parseCluster(json);
        assertThat(parsed.warnings()).isEmpty();
        return EnvoyClusters.fromEnvoy(parsed.value(), LbConfig.LATEST_ENVOY_MINOR);
    }

    static Translated<LoadAssignment> assignment(String json) {
        Translated<ClusterLoadAssignment> parsed = ConfigDumps.parseLoadAssignment(json);
        assertThat(parsed.warnings()).isEmpty();
        return LoadAssignments.fromEnvoy(parsed.value());
    }

    /** configuration/overview/examples, "Dynamic": the CDS and EDS responses. */
    @Test
    void theDynamicExampleBalancesOneEndpointRoundRobin() {
        List<String> clusters = YamlJson.resources(yaml("overview-examples-cds.yaml"));
        Translated<ClusterSettings> settings = cluster(clusters.get(0));
        assertThat(settings.warnings()).isEmpty();  // connect_timeout, eds_cluster_config: not about endpoint choice
        assertThat(settings.value().name()).isEqualTo("some_service");
        assertThat(settings.value().lb()).isEqualTo(LbConfig.defaults());
        assertThat(settings.value().outlierDetection()).isNull();

        Translated<LoadAssignment> a = assignment(YamlJson.resources(yaml("overview-examples-eds.yaml")).get(0));
        assertThat(a.warnings()).isEmpty();
        EndpointTable t = a.value().table();
        assertThat(t.size()).isEqualTo(1);
        assertThat(t.endpoint(0).address()).isEqualTo("127.0.0.2:1234");
        assertThat(t.endpoint(0).locality()).isEqualTo(Locality.UNKNOWN);
        assertThat(t.health(0)).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(t.weight(0)).isEqualTo(1);
        assertThat(t.priority(0)).isZero();
        assertThat(a.value().overprovisioningFactor()).isEqualTo(140);

        roundTrips(settings.value());
        roundTrips(a.value());
    }

    /** configuration/overview/examples, "Static": endpoints in the cluster's load_assignment. */
    @Test
    void theStaticExampleCarriesItsEndpointsInTheCluster() {
        Translated<ConfigDumps.DumpedCluster> d = ConfigDumps.read(YamlJson.json(
                yaml("overview-examples-static-cluster.yaml")), null, LbConfig.LATEST_ENVOY_MINOR);
        assertThat(d.warnings()).isEmpty();
        assertThat(d.value().assignment().table().endpoint(0).address()).isEqualTo("127.0.0.1:1234");
        assertThat(d.value().settings().lb().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
    }

    /** configs/envoyproxy_io_proxy.yaml: a LOGICAL_DNS cluster over TLS. */
    @Test
    void aLogicalDnsClusterIsReportedAndItsHostNameKept() {
        Translated<ClusterSettings> settings = cluster(YamlJson.json(yaml("envoyproxy-io-proxy-cluster.yaml")));
        assertThat(settings.warnings()).extracting(XdsWarning::field)
                .containsExactlyInAnyOrder("cluster.type", "cluster.load_assignment");
        assertThat(settings.warnings()).anySatisfy(w -> assertThat(w.message()).contains("LOGICAL_DNS",
                "does not resolve DNS"));

        Translated<ConfigDumps.DumpedCluster> d = ConfigDumps.read(YamlJson.json(
                yaml("envoyproxy-io-proxy-cluster.yaml")), null, LbConfig.LATEST_ENVOY_MINOR);
        assertThat(d.value().assignment().table().endpoint(0).address()).isEqualTo("www.envoyproxy.io:443");
        assertThat(d.warnings()).extracting(XdsWarning::field).containsExactly("cluster.type");
    }

    /**
     * The locality-load-balancing sandbox: priorities 0, 1, 1, 2 over four localities with weight 1,
     * health checked. Envoy's priorities come straight from the file; the health checks are not
     * modelled, so every host keeps the health EDS gives it (none: UNKNOWN, which takes traffic).
     */
    @Test
    void theLocalitySandboxKeepsItsPrioritiesAndReportsHealthChecks() {
        String cds = YamlJson.resources(yaml("locality-load-balancing-cds.yaml")).get(0);
        Translated<ConfigDumps.DumpedCluster> d = ConfigDumps.read(cds, null, LbConfig.LATEST_ENVOY_MINOR);

        String hc = "cluster_load_assignment.endpoints[0].lb_endpoints[0].endpoint.health_check_config";
        assertThat(d.warnings()).extracting(XdsWarning::field).containsExactlyInAnyOrder("cluster.type",
                "cluster.health_checks", hc);
        assertThat(d.warnings()).filteredOn(w -> w.field().equals(hc)).singleElement()
                .satisfies(w -> assertThat(w.message()).endsWith("(and 3 more like it)"));
        EndpointTable t = d.value().assignment().table();
        assertThat(t.size()).isEqualTo(4);
        assertThat(t.priorityCount()).isEqualTo(3);
        assertThat(t.priority(t.indexOf("backend-local-1:8000"))).isZero();
        assertThat(t.priority(t.indexOf("backend-local-2:8000"))).isEqualTo(1);
        assertThat(t.priority(t.indexOf("backend-remote-1:8000"))).isEqualTo(1);
        assertThat(t.priority(t.indexOf("backend-remote-2:8000"))).isEqualTo(2);
        assertThat(t.endpoint(t.indexOf("backend-remote-1:8000")).locality())
                .isEqualTo(Locality.of("remote", "zone-1", ""));
        for (int h = 0; h < t.size(); h++) {
            assertThat(t.localityWeight(h)).isEqualTo(1);
            assertThat(t.health(h)).isEqualTo(HealthStatus.UNKNOWN);
        }
        // the sandbox does not set locality_weighted_lb_config: Envoy ignores the weights
        assertThat(d.value().settings().lb().localityWeighted()).isFalse();
        roundTrips(d.value().assignment());
    }

    /**
     * Envoy's OutlierDetectorImplTest.DetectorStaticConfig: the file's values, and Envoy's defaults
     * for the rest (consecutive gateway failure 5 at 0%, failure percentage enforcement 0%).
     */
    @Test
    void envoysStaticOutlierConfigReadsAsEnvoysTestExpects() throws Exception {
        OutlierDetection.Builder od = OutlierDetection.newBuilder();
        JsonFormat.parser().merge(YamlJson.json(yaml("outlier-detection-static-config.yaml")), od);
        Translated<ClusterSettings> t = EnvoyClusters.fromEnvoy(Cluster.newBuilder().setName("c")
                .setType(Cluster.DiscoveryType.EDS).setOutlierDetection(od).build(), LbConfig.LATEST_ENVOY_MINOR);

        assertThat(t.warnings()).isEmpty();
        OutlierDetectionConfig o = t.value().outlierDetection();
        assertThat(o.interval()).isEqualTo(Duration.ofMillis(100));
        assertThat(o.baseEjectionTime()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.consecutive5xx()).isEqualTo(10);
        assertThat(o.consecutiveGatewayFailure()).isEqualTo(5);
        assertThat(o.maxEjectionPercent()).isEqualTo(50);
        assertThat(o.enforcingConsecutive5xx()).isEqualTo(10);
        assertThat(o.enforcingConsecutiveGatewayFailure()).isZero();
        assertThat(o.enforcingSuccessRate()).isEqualTo(20);
        assertThat(o.successRateMinimumHosts()).isEqualTo(50);
        assertThat(o.successRateRequestVolume()).isEqualTo(200);
        assertThat(o.successRateStdevFactor()).isEqualTo(3000);
        assertThat(o.enforcingFailurePercentage()).isZero();
        assertThat(o.enforcingFailurePercentageLocalOrigin()).isZero();
        assertThat(o.failurePercentageMinimumHosts()).isEqualTo(10);
        assertThat(o.failurePercentageRequestVolume()).isEqualTo(25);
        assertThat(o.failurePercentageThreshold()).isEqualTo(70);
        assertThat(o.maxEjectionTime()).isEqualTo(Duration.ofSeconds(400));
        roundTrips(t.value());
    }

    /** Envoy's DetectorStaticConfigMaxDefaultValue, ...BaseLargerThanMaxNoMax and ...InvalidMaxEjectTime. */
    @Test
    void maxEjectionTimeFollowsEnvoysDefaultAndRule() throws Exception {
        assertThat(outlier("interval: 0.1s\nbase_ejection_time: 10s\n").maxEjectionTime())
                .isEqualTo(Duration.ofSeconds(300));
        assertThat(outlier("interval: 0.1s\nbase_ejection_time: 400s\n").maxEjectionTime())
                .isEqualTo(Duration.ofSeconds(400));
        assertThatThrownBy(() -> outlier("base_ejection_time: 10s\nmax_ejection_time: 3s\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cluster.outlier_detection.max_ejection_time: ");
    }

    static OutlierDetectionConfig outlier(String yaml) throws Exception {
        OutlierDetection.Builder od = OutlierDetection.newBuilder();
        JsonFormat.parser().merge(YamlJson.json(yaml), od);
        return EnvoyClusters.fromEnvoy(Cluster.newBuilder().setName("c").setOutlierDetection(od).build(),
                LbConfig.LATEST_ENVOY_MINOR).value().outlierDetection();
    }

    static void roundTrips(ClusterSettings s) {
        Translated<ClusterSettings> back = EnvoyClusters.fromEnvoy(EnvoyClusters.toEnvoy(s), s.lb().envoyRelease());
        assertThat(back.warnings()).isEmpty();
        assertThat(back.value()).isEqualTo(s);
    }

    static void roundTrips(LoadAssignment a) {
        Translated<LoadAssignment> back = LoadAssignments.fromEnvoy(LoadAssignments.toEnvoy(a));
        assertThat(back.warnings()).isEmpty();
        assertThat(back.value()).isEqualTo(a);
    }
}
