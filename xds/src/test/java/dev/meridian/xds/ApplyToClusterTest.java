package dev.meridian.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.Endpoint;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.lb.LoadPlan;
import dev.meridian.lb.ZoneAwareConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.LocalityLbSetting;
import dev.meridian.topology.LocalityPriorities;
import dev.meridian.topology.PriorityAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Translated resources applied to a {@link Cluster} as the xDS client and the Kubernetes source do
 * ({@code configure(assignment.applyTo(settings.lb()))}, {@code configure(settings.outlierDetection())},
 * {@code update(assignment.table())}), and what Envoy would then do with them.
 */
class ApplyToClusterTest {

    final ConfigDumps.Dump dump = ConfigDumps.read(ConfigDumpsTest.resource("/istio/sidecar-config-dump.json"));

    static Cluster apply(ConfigDumps.DumpedCluster d) {
        Cluster c = Cluster.builder(d.lbConfig()).clock(new ManualClock()).build();
        c.configure(d.settings().outlierDetection());
        c.update(d.assignment().table());
        c.drain();
        return c;
    }

    /**
     * reviews: priority 0 has one healthy host of two, so its health is min(100, 140 × 1 / 2) = 70
     * and it takes 70%; priority 1, fully healthy, takes the remaining 30%; priority 2 nothing
     * (load_balancer_impl.cc, LoadBalancerBase::recalculatePerPriorityState). Panic is off (Istio's
     * threshold 0 with outlier detection).
     */
    @Test
    void reviewsLoadsItsPrioritiesAsEnvoyWould() {
        Cluster c = apply(dump.clusters().get(ConfigDumpsTest.REVIEWS));

        LoadPlan plan = c.plan();
        assertThat(plan.priorities()).extracting(p -> p.healthyLoad()).containsExactly(70, 30, 0);
        assertThat(plan.priorities()).noneMatch(p -> p.panic());
        assertThat(c.detector()).isNotNull();
        assertThat(c.pick()).isNotNull();
    }

    /** details has no outlier detection: the settings carry null, which the Cluster reads as "off". */
    @Test
    void noOutlierDetectionMeansNoDetector() {
        Cluster c = apply(dump.clusters().get(ConfigDumpsTest.DETAILS));

        assertThat(c.detector()).isNull();
        assertThat(c.plan().priorities()).extracting(p -> p.healthyLoad()).containsExactly(100);
    }

    /**
     * What istiod sends a caller in us-east1/us-east1-b for a destination with outlier detection:
     * Meridian's proximity priorities, one group per locality, read back to the same table.
     */
    @Test
    void anIstioPriorityAssignmentBecomesTheAssignmentIstiodWouldSend() {
        List<Endpoint> endpoints = List.of(
                Endpoint.of("10.0.0.1:9080", Locality.parse("us-east1/us-east1-b")),
                Endpoint.of("10.0.0.2:9080", Locality.parse("us-east1/us-east1-c")),
                Endpoint.of("10.0.0.3:9080", Locality.parse("us-west1/us-west1-a")));
        PriorityAssignment pa = LocalityPriorities.assign(endpoints, Caller.at(Locality.parse("us-east1/us-east1-b")),
                null, LocalityLbSetting.DEFAULT, true);

        ClusterLoadAssignment cla = LoadAssignments.toEnvoy("outbound|9080||reviews", pa, 140);

        assertThat(cla.getEndpointsList()).extracting(g -> g.getPriority()).containsExactly(0, 1, 2);
        assertThat(cla.getEndpoints(2).getLocality().getRegion()).isEqualTo("us-west1");
        Translated<LoadAssignment> back = LoadAssignments.fromEnvoy(cla);
        assertThat(back.warnings()).isEmpty();
        assertThat(back.value()).isEqualTo(LoadAssignment.of("outbound|9080||reviews", pa.toTable()));
    }

    /**
     * With a local_cluster_name whose endpoints the dump holds and a node locality, Envoy routes
     * zone-aware (ZoneAwareLoadBalancerBase); the dump gives each cluster those inputs, with the
     * cluster's own min_cluster_size.
     */
    @Test
    void aDumpWithALocalClusterGetsZoneAwareRouting() {
        String json = """
                {"configs": [
                 {"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
                  "bootstrap": {"node": {"id": "n", "locality": {"region": "r", "zone": "a"},
                                         "user_agent_build_version": {"version": {"major_number": 1, "minor_number": 30}}},
                                "cluster_manager": {"local_cluster_name": "local"}}},
                 {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
                  "static_clusters": [
                   {"cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "local",
                                "type": "STATIC"}},
                   {"cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "backend",
                                "type": "STATIC",
                                "common_lb_config": {"zone_aware_lb_config": {"min_cluster_size": 2}}}}]},
                 {"@type": "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump",
                  "static_endpoint_configs": [
                   {"endpoint_config": {"@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
                     "cluster_name": "local", "endpoints": [
                       {"locality": {"region": "r", "zone": "a"}, "lb_endpoints": [
                         {"endpoint": {"address": {"socket_address": {"address": "10.1.0.1", "port_value": 80}}}}]},
                       {"locality": {"region": "r", "zone": "b"}, "lb_endpoints": [
                         {"endpoint": {"address": {"socket_address": {"address": "10.1.0.2", "port_value": 80}}}}]}]}},
                   {"endpoint_config": {"@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
                     "cluster_name": "backend", "endpoints": [
                       {"locality": {"region": "r", "zone": "a"}, "lb_endpoints": [
                         {"endpoint": {"address": {"socket_address": {"address": "10.2.0.1", "port_value": 80}}}}]},
                       {"locality": {"region": "r", "zone": "b"}, "lb_endpoints": [
                         {"endpoint": {"address": {"socket_address": {"address": "10.2.0.2", "port_value": 80}}}}]}]}}]}
                ]}
                """;
        ConfigDumps.Dump d = ConfigDumps.read(json);

        ZoneAwareConfig zone = d.clusters().get("backend").settings().lb().zoneAware();
        assertThat(zone).isNotNull();
        assertThat(zone.localLocality()).isEqualTo(Locality.parse("r/a"));
        assertThat(zone.minClusterSize()).isEqualTo(2);
        assertThat(zone.localHosts()).containsEntry(Locality.parse("r/a"), 1).containsEntry(Locality.parse("r/b"), 1);
        assertThat(d.clusters().get("backend").warnings()).isEmpty();
        assertThat(d.clusters().get("local").settings().lb().zoneAware()).isNull();
        assertThat(d.envoyMinor()).isEqualTo(30);
    }
}
