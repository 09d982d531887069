package dev.meridian.xds;

import static dev.meridian.xds.LoadAssignmentsTest.lb;
import static dev.meridian.xds.LoadAssignmentsTest.loc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SlowStartConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Pipe;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.load_balancing_policies.maglev.v3.Maglev;
import io.envoyproxy.envoy.extensions.load_balancing_policies.pick_first.v3.PickFirst;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Input Envoy would reject, or Meridian cannot run: an IllegalArgumentException naming the field and value. */
class BadInputTest {

    static Cluster.Builder cluster() {
        return Cluster.newBuilder().setName("c").setType(Cluster.DiscoveryType.EDS);
    }

    static ClusterLoadAssignment cla(LocalityLbEndpoints... groups) {
        ClusterLoadAssignment.Builder b = ClusterLoadAssignment.newBuilder().setClusterName("c");
        for (LocalityLbEndpoints g : groups) {
            b.addEndpoints(g);
        }
        return b.build();
    }

    static LocalityLbEndpoints group(LbEndpoint... endpoints) {
        LocalityLbEndpoints.Builder b = LocalityLbEndpoints.newBuilder();
        for (LbEndpoint e : endpoints) {
            b.addLbEndpoints(e);
        }
        return b.build();
    }

    static LoadBalancingPolicy.Policy policy(com.google.protobuf.Message config) {
        return LoadBalancingPolicy.Policy.newBuilder().setTypedExtensionConfig(TypedExtensionConfig.newBuilder()
                .setName("p").setTypedConfig(Any.pack(config))).build();
    }

    // ---------------------------------------------------------------- JSON

    @Test
    void malformedJsonIsRejected() {
        assertThatThrownBy(() -> ConfigDumps.parseCluster("{\"name\": \"c\""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("cluster: malformed JSON");
        assertThatThrownBy(() -> ConfigDumps.parseLoadAssignment("[]"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cluster_load_assignment: malformed JSON");
    }

    @Test
    void anUnknownEnumValueIsRejectedNamingTheField() {
        assertThatThrownBy(() -> ConfigDumps.parseCluster("{\"name\": \"c\", \"lb_policy\": \"FASTEST\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cluster.lb_policy: must be one of ROUND_ROBIN")
                .hasMessageEndingWith("got 'FASTEST'");
        assertThatThrownBy(() -> ConfigDumps.parseLoadAssignment("{\"cluster_name\": \"c\", \"endpoints\": [{"
                + "\"lb_endpoints\": [{\"health_status\": \"SICK\"}]}]}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cluster_load_assignment.endpoints[0].lb_endpoints[0].health_status: ")
                .hasMessageEndingWith("got 'SICK'");
    }

    @Test
    void aValueOfTheWrongTypeIsRejectedNamingTheField() {
        assertThatThrownBy(() -> ConfigDumps.parseCluster("{\"name\": \"c\", \"outlier_detection\": "
                + "{\"consecutive_5xx\": \"five\"}}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cluster.outlier_detection.consecutive_5xx: ")
                .hasMessageContaining("five");
        assertThatThrownBy(() -> ConfigDumps.parseCluster("{\"name\": \"c\", \"connect_timeout\": 5}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("cluster.connect_timeout: ");
    }

    @Test
    void aFieldFromANewerEnvoyIsReportedNotFatal() {
        // force_local_zone is Envoy 1.35's; Meridian's Envoy API (java-control-plane 1.0.49) predates it
        Translated<Cluster> t = ConfigDumps.parseCluster("{\"name\": \"c\", \"common_lb_config\": {"
                + "\"zone_aware_lb_config\": {\"force_local_zone\": {}, \"min_cluster_size\": 3}}}");
        assertThat(t.warnings()).extracting(XdsWarning::field)
                .containsExactly("cluster.common_lb_config.zone_aware_lb_config.force_local_zone");
        assertThat(t.value().getCommonLbConfig().getZoneAwareLbConfig().getMinClusterSize().getValue()).isEqualTo(3);
    }

    // ---------------------------------------------------------------- ClusterLoadAssignment

    @Test
    void portZeroAndPortsAboveTheRangeAreRejected() {
        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(cla(group(lb("10.0.0.1", 0)))))
                .hasMessage("cluster_load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address"
                        + ".port_value: must be 1..65535, got '0'");
        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(cla(group(lb("10.0.0.1", 70000)))))
                .hasMessageEndingWith("port_value: must be 1..65535, got '70000'");
    }

    @Test
    void weightZeroIsRejectedAsEnvoysValidationDoes() {
        // endpoint_components.proto: load_balancing_weight {gte: 1}, for endpoints and localities
        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(cla(group(lb("10.0.0.1", 80).toBuilder()
                .setLoadBalancingWeight(UInt32Value.of(0)).build()))))
                .hasMessage("cluster_load_assignment.endpoints[0].lb_endpoints[0].load_balancing_weight: must be >= 1,"
                        + " got '0'");
        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(cla(group(lb("10.0.0.1", 80)).toBuilder()
                .setLoadBalancingWeight(UInt32Value.of(0)).build())))
                .hasMessageStartingWith("cluster_load_assignment.endpoints[0].load_balancing_weight: must be >= 1");
    }

    @Test
    void prioritiesBeyondEnvoysAndMeridiansRangeAreRejected() {
        // endpoint_components.proto: priority {lte: 128}; Meridian's endpoints hold 0..127
        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(cla(group(lb("10.0.0.1", 80)).toBuilder()
                .setPriority(129).build())))
                .hasMessage("cluster_load_assignment.endpoints[0].priority: must be 0..128, got '129'");
        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(cla(group(lb("10.0.0.1", 80)).toBuilder()
                .setPriority(128).build())))
                .hasMessage("cluster_load_assignment.endpoints[0].priority: Meridian holds priorities 0..127, got"
                        + " '128'");
    }

    @Test
    void addressesMeridianCannotHoldAreRejected() {
        LbEndpoint pipe = LbEndpoint.newBuilder().setEndpoint(io.envoyproxy.envoy.config.endpoint.v3.Endpoint
                .newBuilder().setAddress(Address.newBuilder().setPipe(Pipe.newBuilder().setPath("/tmp/s")))).build();
        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(cla(group(pipe))))
                .hasMessage("cluster_load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.pipe: Meridian"
                        + " needs a host and port, got '/tmp/s'");
        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(cla(group(LbEndpoint.getDefaultInstance()))))
                .hasMessage("cluster_load_assignment.endpoints[0].lb_endpoints[0].endpoint: must be set, got nothing");
        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(cla(group(lb("", 80)))))
                .hasMessageEndingWith("socket_address.address: must not be empty, got ''");
    }

    @Test
    void assignmentPolicyAndNameAreChecked() {
        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(ClusterLoadAssignment.getDefaultInstance()))
                .hasMessage("cluster_load_assignment.cluster_name: must not be empty, got ''");
        assertThatThrownBy(() -> LoadAssignments.fromEnvoy(cla().toBuilder().setPolicy(ClusterLoadAssignment.Policy
                .newBuilder().setOverprovisioningFactor(UInt32Value.of(0))).build()))
                .hasMessageStartingWith("cluster_load_assignment.policy.overprovisioning_factor: must be >= 1");
    }

    /** eds.cc updateLocalityEndpoints: "When the configuration contains duplicate hosts, only the first one will be retained." */
    @Test
    void aDuplicateAddressKeepsTheFirstAsEnvoyDoes() {
        Translated<LoadAssignment> t = LoadAssignments.fromEnvoy(cla(group(lb("10.0.0.1", 80)),
                group(lb("10.0.0.1", 80)).toBuilder().setPriority(1).build()));
        assertThat(t.value().table().size()).isEqualTo(1);
        assertThat(t.value().table().priority(0)).isZero();
        assertThat(t.warnings()).extracting(XdsWarning::field)
                .containsExactly("cluster_load_assignment.endpoints[1].lb_endpoints[0].endpoint.address");
    }

    /**
     * PriorityStateManager::initializePriorityFor keeps a group's weight only when it has a
     * locality, and a later group of the same locality and priority replaces it; both groups' hosts
     * are one locality (updateClusterPrioritySet groups hosts by locality).
     */
    @Test
    void localityWeightsFollowPriorityStateManager() {
        Translated<LoadAssignment> t = LoadAssignments.fromEnvoy(cla(
                group(lb("10.0.0.1", 80)).toBuilder().setLocality(loc("r", "a"))
                        .setLoadBalancingWeight(UInt32Value.of(3)).build(),
                group(lb("10.0.0.2", 80)).toBuilder().setLocality(loc("r", "a"))
                        .setLoadBalancingWeight(UInt32Value.of(5)).build(),
                group(lb("10.0.0.3", 80)).toBuilder().setLoadBalancingWeight(UInt32Value.of(7)).build()));
        assertThat(t.value().table().localityWeight(0)).isEqualTo(5);
        assertThat(t.value().table().localityWeight(1)).isEqualTo(5);
        assertThat(t.value().table().localityCount()).isEqualTo(2);
        assertThat(t.value().table().localityWeight(2)).isZero();
        assertThat(t.warnings()).extracting(XdsWarning::field)
                .containsExactly("cluster_load_assignment.endpoints[2].load_balancing_weight");
    }

    /** eds.cc batchUpdate: a priority no group names is an empty host set, not an error. */
    @Test
    void aGapInPrioritiesIsAnEmptyPriority() {
        Translated<LoadAssignment> t = LoadAssignments.fromEnvoy(cla(group(lb("10.0.0.1", 80)),
                group(lb("10.0.0.2", 80)).toBuilder().setPriority(2).build()));
        assertThat(t.warnings()).isEmpty();
        assertThat(t.value().table().priorityCount()).isEqualTo(3);
    }

    @Test
    void whatEdsCarriesButMeridianDoesNotModelIsReported() {
        ClusterLoadAssignment a = cla(group(lb("10.0.0.1", 80).toBuilder().setEndpoint(lb("10.0.0.1", 80)
                        .getEndpoint().toBuilder().setHostname("db-1")).build(),
                LbEndpoint.newBuilder().setEndpointName("named").build())).toBuilder()
                .setPolicy(ClusterLoadAssignment.Policy.newBuilder()
                        .addDropOverloads(ClusterLoadAssignment.Policy.DropOverload.newBuilder().setCategory("lb"))
                        .setEndpointStaleAfter(com.google.protobuf.Duration.newBuilder().setSeconds(30)))
                .putNamedEndpoints("named", lb("10.0.0.9", 80).getEndpoint()).build();
        Translated<LoadAssignment> t = LoadAssignments.fromEnvoy(a);
        assertThat(t.value().table().size()).isEqualTo(1);
        assertThat(t.warnings()).extracting(XdsWarning::field).containsExactlyInAnyOrder(
                "cluster_load_assignment.named_endpoints", "cluster_load_assignment.policy.drop_overloads",
                "cluster_load_assignment.policy.endpoint_stale_after",
                "cluster_load_assignment.endpoints[0].lb_endpoints[1].endpoint_name");
    }

    // ---------------------------------------------------------------- Cluster

    @Test
    void aPanicThresholdOutsideZeroToHundredIsRejected() {
        for (double v : new double[] {-1, 150}) {
            Cluster c = cluster().setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
                    .setHealthyPanicThreshold(io.envoyproxy.envoy.type.v3.Percent.newBuilder().setValue(v))).build();
            assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(c, 38))
                    .hasMessage("cluster.common_lb_config.healthy_panic_threshold.value: must be 0..100, got '" + v
                            + "'");
        }
    }

    /** PROTOBUF_PERCENT_TO_ROUNDED_INTEGER_OR_DEFAULT: Envoy runs a whole percent. */
    @Test
    void aFractionalPanicThresholdRunsRoundedAndIsReported() {
        Cluster c = cluster().setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
                .setHealthyPanicThreshold(io.envoyproxy.envoy.type.v3.Percent.newBuilder().setValue(33.5))).build();
        Translated<ClusterSettings> t = EnvoyClusters.fromEnvoy(c, 38);
        assertThat(t.value().lb().panicThreshold()).isEqualTo(34);
        assertThat(t.warnings()).extracting(XdsWarning::field)
                .containsExactly("cluster.common_lb_config.healthy_panic_threshold.value");
    }

    @Test
    void policiesMeridianCannotRunAreRejected() {
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(cluster().setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                .build(), 38)).hasMessageStartingWith("cluster.lb_policy: ").hasMessageEndingWith("'CLUSTER_PROVIDED'");
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(cluster().setLbPolicyValue(42).build(), 38))
                .hasMessageStartingWith("cluster.lb_policy: must be one of").hasMessageEndingWith("got '42'");
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(cluster()
                .setLbPolicy(Cluster.LbPolicy.LOAD_BALANCING_POLICY_CONFIG).build(), 38))
                .hasMessageStartingWith("cluster.lb_policy: LOAD_BALANCING_POLICY_CONFIG needs");
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(cluster().setType(Cluster.DiscoveryType.ORIGINAL_DST)
                .build(), 38)).hasMessageStartingWith("cluster.type: ORIGINAL_DST");
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(cluster().setClusterType(Cluster.CustomClusterType
                .newBuilder().setName("envoy.clusters.aggregate")).build(), 38))
                .hasMessageStartingWith("cluster.cluster_type: ").hasMessageEndingWith("'envoy.clusters.aggregate'");
    }

    @Test
    void aTypedPolicyListWithoutAPolicyMeridianRunsIsRejected() {
        Cluster c = cluster().setLoadBalancingPolicy(LoadBalancingPolicy.newBuilder()
                .addPolicies(policy(ClientSideWeightedRoundRobin.getDefaultInstance()))
                .addPolicies(policy(PickFirst.getDefaultInstance()))).build();
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(c, 38))
                .hasMessageStartingWith("cluster.load_balancing_policy.policies: no policy Meridian can run")
                .hasMessageContaining("client_side_weighted_round_robin");
    }

    /** cluster.proto load_balancing_policy: Envoy uses the first policy in the list it supports. */
    @Test
    void theFirstTypedPolicyMeridianRunsIsUsedAndTheOthersReported() {
        Cluster c = cluster().setLbPolicy(Cluster.LbPolicy.MAGLEV).setLoadBalancingPolicy(LoadBalancingPolicy
                .newBuilder()
                .addPolicies(policy(ClientSideWeightedRoundRobin.getDefaultInstance()))
                .addPolicies(policy(LeastRequest.newBuilder().setChoiceCount(UInt32Value.of(4)).build()))
                .addPolicies(policy(Maglev.getDefaultInstance()))).build();
        Translated<ClusterSettings> t = EnvoyClusters.fromEnvoy(c, 38);
        assertThat(t.value().lb().policy()).isEqualTo(LbPolicy.LEAST_REQUEST);
        assertThat(t.value().lb().leastRequestChoiceCount()).isEqualTo(4);
        assertThat(t.warnings()).extracting(XdsWarning::field).containsExactly("cluster.lb_policy",
                "cluster.load_balancing_policy.policies[0].typed_extension_config",
                "cluster.load_balancing_policy.policies[2].typed_extension_config");
    }

    /**
     * Envoy's wrr_locality accepts only client_side_weighted_round_robin as its endpoint-picking
     * policy (wrr_locality/config.h loadConfig), which weighs hosts by ORCA reports Meridian does not
     * model: it is passed over; over any other policy Envoy rejects the cluster.
     */
    @Test
    void wrrLocalityIsPassedOverOrRejectedAsEnvoyWould() {
        Cluster overCswrr = cluster().setLoadBalancingPolicy(LoadBalancingPolicy.newBuilder()
                .addPolicies(policy(WrrLocality.newBuilder().setEndpointPickingPolicy(LoadBalancingPolicy.newBuilder()
                        .addPolicies(policy(ClientSideWeightedRoundRobin.getDefaultInstance()))).build()))
                .addPolicies(policy(RoundRobin.getDefaultInstance()))).build();
        Translated<ClusterSettings> t = EnvoyClusters.fromEnvoy(overCswrr, 38);
        assertThat(t.value().lb().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(t.warnings()).extracting(XdsWarning::field)
                .containsExactly("cluster.load_balancing_policy.policies[0].typed_extension_config");
        assertThat(t.warnings().get(0).message()).contains("ORCA");

        Cluster overRoundRobin = cluster().setLoadBalancingPolicy(LoadBalancingPolicy.newBuilder().addPolicies(policy(
                WrrLocality.newBuilder().setEndpointPickingPolicy(LoadBalancingPolicy.newBuilder()
                        .addPolicies(policy(RoundRobin.getDefaultInstance()))).build()))).build();
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(overRoundRobin, 38))
                .hasMessageStartingWith("cluster.load_balancing_policy.policies[0].typed_extension_config.typed_config"
                        + ".endpoint_picking_policy.policies[0]: Envoy's wrr_locality accepts only");
    }

    @Test
    void ringAndMaglevSizesAreCheckedAsEnvoyChecksThem() {
        // ring_hash_lb.cc: minimum_ring_size > maximum_ring_size is rejected, the default maximum included
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(cluster().setLbPolicy(Cluster.LbPolicy.RING_HASH)
                .setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder().setMaximumRingSize(UInt64Value.of(512)))
                .build(), 38))
                .hasMessage("cluster.ring_hash_lb_config.minimum_ring_size: must not exceed maximum_ring_size 512"
                        + " (ring_hash_lb.cc rejects it), got '1024'");
        // maglev_lb.cc: "The table size of maglev must be prime number"
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(cluster().setLbPolicy(Cluster.LbPolicy.MAGLEV)
                .setMaglevLbConfig(Cluster.MaglevLbConfig.newBuilder().setTableSize(UInt64Value.of(100))).build(), 38))
                .hasMessageStartingWith("cluster.maglev_lb_config.table_size: must be a prime")
                .hasMessageEndingWith("got 100");
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(cluster().setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
                .setLeastRequestLbConfig(Cluster.LeastRequestLbConfig.newBuilder().setChoiceCount(UInt32Value.of(1)))
                .build(), 38))
                .hasMessage("cluster.least_request_lb_config.choice_count: must be >= 2, got '1'");
    }

    @Test
    void outlierDetectionValuesOutOfRangeAreRejected() {
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(cluster().setOutlierDetection(OutlierDetection.newBuilder()
                .setMaxEjectionPercent(UInt32Value.of(101))).build(), 38))
                .hasMessageStartingWith("cluster.outlier_detection.max_ejection_percent: must be 0..100")
                .hasMessageContaining("101");
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(cluster().setOutlierDetection(OutlierDetection.newBuilder()
                .setInterval(com.google.protobuf.Duration.getDefaultInstance())).build(), 38))
                .hasMessage("cluster.outlier_detection.interval: must be greater than 0, got '0s'");
    }

    /** always_eject_one_host exists from Envoy 1.31 (envoyproxy/envoy#34796); an older Envoy ignores it. */
    @Test
    void alwaysEjectOneHostBeforeEnvoy131IsReportedAndIgnored() {
        Cluster c = cluster().setOutlierDetection(OutlierDetection.newBuilder()
                .setAlwaysEjectOneHost(BoolValue.of(true))).build();
        Translated<ClusterSettings> old = EnvoyClusters.fromEnvoy(c, 30);
        assertThat(old.value().outlierDetection().alwaysEjectOneHost()).isFalse();
        assertThat(old.warnings()).extracting(XdsWarning::field)
                .containsExactly("cluster.outlier_detection.always_eject_one_host");
        assertThat(EnvoyClusters.fromEnvoy(c, 31).value().outlierDetection().alwaysEjectOneHost()).isTrue();
    }

    @Test
    void anEnvoyReleaseOutsideWhatMeridianModelsIsRejected() {
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(cluster().build(), 12))
                .hasMessage("envoyMinor: must be 13..38 (Envoy 1.x), got '12'");
        assertThatThrownBy(() -> EnvoyClusters.fromEnvoy(Cluster.getDefaultInstance(), 38))
                .hasMessage("cluster.name: must not be empty, got ''");
    }

    @Test
    void settingsEnvoyCannotExpressAreRejectedOnTheWayOut() {
        assertThatThrownBy(() -> EnvoyClusters.toEnvoy(new ClusterSettings("c", LbConfig.builder()
                .panicThreshold(33.3).build(), null)))
                .hasMessageStartingWith("clusterSettings.lb.panicThreshold: Envoy runs whole percents only");
        assertThatThrownBy(() -> EnvoyClusters.toEnvoy(new ClusterSettings("c", LbConfig.builder()
                .policy(LbPolicy.RANDOM).slowStart(SlowStartConfig.of(Duration.ofSeconds(5))).build(), null)))
                .hasMessageStartingWith("clusterSettings.lb.slowStart: ");
        assertThatThrownBy(() -> EnvoyClusters.toEnvoy(new ClusterSettings("c", LbConfig.builder()
                .localityWeighted(true).failTrafficOnPanic(true).build(), OutlierDetectionConfig.defaults())))
                .hasMessageStartingWith("clusterSettings.lb.localityWeighted: ");
    }

    @Test
    void aDumpFromAnEnvoyReleaseMeridianDoesNotModelIsRejectedNamingTheBootstrapField() {
        // EnvoyJsonFuzzTestInputs/resources/dump-from-envoy-2.json: ConfigDumps.read's Javadoc did not
        // list this refusal until the fuzz target's oracle was checked against it.
        String dump = """
                {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
                  "bootstrap": {"node": {"user_agent_build_version": {"version": {"major_number": 2}}}}}]}
                """;
        assertThatThrownBy(() -> ConfigDumps.read(dump)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("bootstrap.node.user_agent_build_version: Meridian models Envoy 1.13 to 1.38, got '2.0'");
        assertThat(ConfigDumps.read(dump, 38).envoyMinor()).isEqualTo(38);
    }

    @Test
    void aNumberBeyondADoublesRangeIsRejectedNamingItsField() {
        // EnvoyJsonFuzzTestInputs/resources/number-beyond-double.json, found by EnvoyJsonFuzzTest: the
        // number reads as an infinite double, which protobuf's printer refuses with an
        // IllegalArgumentException naming no field when the refusal of the field around it is written.
        String cluster = "{\"name\": \"c\", \"circuit_breakers\": {\"thresholds\": [{\"max_connections\": 4.2E9756299}]}}";
        String refusal = "cluster.circuit_breakers.thresholds[0].max_connections: must be a number within a double's"
                + " range, got a number that overflows it";
        assertThatThrownBy(() -> ConfigDumps.parseCluster(cluster)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage(refusal);
        assertThatThrownBy(() -> ConfigDumps.read(cluster, null, 38)).hasMessage(refusal);
        assertThatThrownBy(() -> ConfigDumps.read("{\"configs\": [{\"a\": -1e999}]}"))
                .hasMessage("config_dump.configs[0].a: must be a number within a double's range, got a number that"
                        + " overflows it");
    }

    @Test
    void aKeyThatIsNotANameIsShownAsAJsonStringSoThePathStillEndsAtTheColon() {
        // EnvoyJsonFuzzTestInputs/resources/key-with-colon.json, found by EnvoyJsonFuzzTest: a made-up
        // key holding ":" was written after a dot, and the path seemed to end inside it.
        String cluster = "{\"name\": \"c\", \"circuit_breakers\": {\"thresholds\": [{\"a: b\\\"[0]\": 1e999}]}}";
        assertThatThrownBy(() -> ConfigDumps.parseCluster(cluster)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("cluster.circuit_breakers.thresholds[0][\"a: b\\\"[0]\"]: must be a number within a"
                        + " double's range, got a number that overflows it");
        assertThat(EnvoyJson.member("cluster", "lb_policy")).isEqualTo("cluster.lb_policy");
        assertThat(EnvoyJson.member("cluster", "@type")).isEqualTo("cluster.@type");
        assertThat(EnvoyJson.member("cluster", "envoy.lb")).isEqualTo("cluster[\"envoy.lb\"]");
        assertThat(EnvoyJson.member("cluster", "")).isEqualTo("cluster[\"\"]");
    }
}
