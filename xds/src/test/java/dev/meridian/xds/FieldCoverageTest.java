package dev.meridian.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DoubleValue;
import com.google.protobuf.Duration;
import com.google.protobuf.FloatValue;
import com.google.protobuf.Int32Value;
import com.google.protobuf.Int64Value;
import com.google.protobuf.Message;
import com.google.protobuf.StringValue;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.RuntimeDouble;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.ConsistentHashingLbConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.LocalityLbConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.SlowStartConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.load_balancing_policies.maglev.v3.Maglev;
import io.envoyproxy.envoy.extensions.load_balancing_policies.random.v3.Random;
import io.envoyproxy.envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.type.v3.Percent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Every field of every Envoy message Meridian reads is decided: translated, reported, rejected, or
 * not about endpoint choice ({@link FieldRules}). A field added to Envoy's API fails
 * {@link #everyFieldHasARule}; each rule is then checked against what the translation does with
 * that field set to a sample value.
 */
class FieldCoverageTest {

    /** Where a message sits in a resource, and a valid instance of it to change one field of. */
    record Place(String path, Message base, UnaryOperator<Message> root) {
    }

    static Cluster.Builder cluster() {
        return Cluster.newBuilder().setName("c").setType(Cluster.DiscoveryType.EDS);
    }

    static Duration seconds(long s) {
        return Duration.newBuilder().setSeconds(s).build();
    }

    static LbEndpoint endpoint(String ip) {
        return LbEndpoint.newBuilder().setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(80)))).build();
    }

    static Cluster typed(Message policy) {
        return cluster().setLoadBalancingPolicy(LoadBalancingPolicy.newBuilder().addPolicies(policy(policy))).build();
    }

    static LoadBalancingPolicy.Policy policy(Message config) {
        return LoadBalancingPolicy.Policy.newBuilder().setTypedExtensionConfig(TypedExtensionConfig.newBuilder()
                .setName("p").setTypedConfig(Any.pack(config))).build();
    }

    static final SlowStartConfig TYPED_SLOW_START = SlowStartConfig.newBuilder().setSlowStartWindow(seconds(1)).build();
    static final Cluster.SlowStartConfig SLOW_START = Cluster.SlowStartConfig.newBuilder()
            .setSlowStartWindow(seconds(1)).build();
    static final LocalityLbEndpoints GROUP = LocalityLbEndpoints.newBuilder()
            .setLocality(Locality.newBuilder().setRegion("base")).addLbEndpoints(endpoint("10.0.0.1")).build();
    static final String TYPED = "cluster.load_balancing_policy.policies[0].typed_extension_config.typed_config";

    static Map<String, Place> places() {
        Map<String, Place> p = new HashMap<>();
        p.put("envoy.config.cluster.v3.Cluster", new Place("cluster", cluster().build(), m -> m));
        p.put("envoy.config.cluster.v3.Cluster.CommonLbConfig", new Place("cluster.common_lb_config",
                Cluster.CommonLbConfig.getDefaultInstance(),
                m -> cluster().setCommonLbConfig((Cluster.CommonLbConfig) m).build()));
        p.put("envoy.config.cluster.v3.Cluster.CommonLbConfig.ZoneAwareLbConfig", new Place(
                "cluster.common_lb_config.zone_aware_lb_config",
                Cluster.CommonLbConfig.ZoneAwareLbConfig.getDefaultInstance(),
                m -> cluster().setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
                        .setZoneAwareLbConfig((Cluster.CommonLbConfig.ZoneAwareLbConfig) m)).build()));
        p.put("envoy.config.cluster.v3.Cluster.CommonLbConfig.LocalityWeightedLbConfig", new Place(
                "cluster.common_lb_config.locality_weighted_lb_config",
                Cluster.CommonLbConfig.LocalityWeightedLbConfig.getDefaultInstance(),
                m -> cluster().setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
                        .setLocalityWeightedLbConfig((Cluster.CommonLbConfig.LocalityWeightedLbConfig) m)).build()));
        p.put("envoy.config.cluster.v3.Cluster.LeastRequestLbConfig", new Place("cluster.least_request_lb_config",
                Cluster.LeastRequestLbConfig.getDefaultInstance(), m -> cluster()
                .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
                .setLeastRequestLbConfig((Cluster.LeastRequestLbConfig) m).build()));
        p.put("envoy.config.cluster.v3.Cluster.RoundRobinLbConfig", new Place("cluster.round_robin_lb_config",
                Cluster.RoundRobinLbConfig.getDefaultInstance(),
                m -> cluster().setRoundRobinLbConfig((Cluster.RoundRobinLbConfig) m).build()));
        p.put("envoy.config.cluster.v3.Cluster.RingHashLbConfig", new Place("cluster.ring_hash_lb_config",
                Cluster.RingHashLbConfig.getDefaultInstance(), m -> cluster().setLbPolicy(Cluster.LbPolicy.RING_HASH)
                .setRingHashLbConfig((Cluster.RingHashLbConfig) m).build()));
        p.put("envoy.config.cluster.v3.Cluster.MaglevLbConfig", new Place("cluster.maglev_lb_config",
                Cluster.MaglevLbConfig.getDefaultInstance(), m -> cluster().setLbPolicy(Cluster.LbPolicy.MAGLEV)
                .setMaglevLbConfig((Cluster.MaglevLbConfig) m).build()));
        p.put("envoy.config.cluster.v3.Cluster.SlowStartConfig", new Place(
                "cluster.round_robin_lb_config.slow_start_config", SLOW_START,
                m -> cluster().setRoundRobinLbConfig(Cluster.RoundRobinLbConfig.newBuilder()
                        .setSlowStartConfig((Cluster.SlowStartConfig) m)).build()));
        p.put("envoy.config.cluster.v3.OutlierDetection", new Place("cluster.outlier_detection",
                OutlierDetection.getDefaultInstance(),
                m -> cluster().setOutlierDetection((OutlierDetection) m).build()));
        p.put("envoy.config.cluster.v3.LoadBalancingPolicy", new Place("cluster.load_balancing_policy",
                LoadBalancingPolicy.newBuilder().addPolicies(policy(RoundRobin.getDefaultInstance())).build(),
                m -> cluster().setLoadBalancingPolicy((LoadBalancingPolicy) m).build()));
        p.put("envoy.config.cluster.v3.LoadBalancingPolicy.Policy", new Place(
                "cluster.load_balancing_policy.policies[0]", policy(RoundRobin.getDefaultInstance()),
                m -> cluster().setLoadBalancingPolicy(LoadBalancingPolicy.newBuilder()
                        .addPolicies((LoadBalancingPolicy.Policy) m)).build()));
        String common = "envoy.extensions.load_balancing_policies.common.v3.";
        p.put(common + "LocalityLbConfig", new Place(TYPED + ".locality_lb_config",
                LocalityLbConfig.getDefaultInstance(),
                m -> typed(RoundRobin.newBuilder().setLocalityLbConfig((LocalityLbConfig) m).build())));
        p.put(common + "LocalityLbConfig.ZoneAwareLbConfig", new Place(
                TYPED + ".locality_lb_config.zone_aware_lb_config", LocalityLbConfig.ZoneAwareLbConfig.getDefaultInstance(),
                m -> typed(RoundRobin.newBuilder().setLocalityLbConfig(LocalityLbConfig.newBuilder()
                        .setZoneAwareLbConfig((LocalityLbConfig.ZoneAwareLbConfig) m)).build())));
        p.put(common + "LocalityLbConfig.LocalityWeightedLbConfig", new Place(
                TYPED + ".locality_lb_config.locality_weighted_lb_config",
                LocalityLbConfig.LocalityWeightedLbConfig.getDefaultInstance(),
                m -> typed(RoundRobin.newBuilder().setLocalityLbConfig(LocalityLbConfig.newBuilder()
                        .setLocalityWeightedLbConfig((LocalityLbConfig.LocalityWeightedLbConfig) m)).build())));
        p.put(common + "SlowStartConfig", new Place(TYPED + ".slow_start_config", TYPED_SLOW_START,
                m -> typed(RoundRobin.newBuilder().setSlowStartConfig((SlowStartConfig) m).build())));
        p.put(common + "ConsistentHashingLbConfig", new Place(TYPED + ".consistent_hashing_lb_config",
                ConsistentHashingLbConfig.getDefaultInstance(),
                m -> typed(RingHash.newBuilder().setConsistentHashingLbConfig((ConsistentHashingLbConfig) m).build())));
        String lbp = "envoy.extensions.load_balancing_policies.";
        p.put(lbp + "round_robin.v3.RoundRobin", new Place(TYPED, RoundRobin.getDefaultInstance(), m -> typed(m)));
        p.put(lbp + "least_request.v3.LeastRequest", new Place(TYPED, LeastRequest.getDefaultInstance(),
                m -> typed(m)));
        p.put(lbp + "random.v3.Random", new Place(TYPED, Random.getDefaultInstance(), m -> typed(m)));
        p.put(lbp + "ring_hash.v3.RingHash", new Place(TYPED, RingHash.getDefaultInstance(), m -> typed(m)));
        p.put(lbp + "maglev.v3.Maglev", new Place(TYPED, Maglev.getDefaultInstance(), m -> typed(m)));

        ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName("c");
        p.put("envoy.config.endpoint.v3.ClusterLoadAssignment", new Place("cluster_load_assignment",
                cla.clone().addEndpoints(GROUP).build(), m -> m));
        p.put("envoy.config.endpoint.v3.ClusterLoadAssignment.Policy", new Place("cluster_load_assignment.policy",
                ClusterLoadAssignment.Policy.getDefaultInstance(), m -> cla.clone().addEndpoints(GROUP)
                .setPolicy((ClusterLoadAssignment.Policy) m).build()));
        p.put("envoy.config.endpoint.v3.LocalityLbEndpoints", new Place("cluster_load_assignment.endpoints[0]", GROUP,
                m -> cla.clone().addEndpoints((LocalityLbEndpoints) m).build()));
        p.put("envoy.config.core.v3.Locality", new Place("cluster_load_assignment.endpoints[0].locality",
                GROUP.getLocality(), m -> cla.clone().addEndpoints(GROUP.toBuilder().setLocality((Locality) m)).build()));
        String lbe = "cluster_load_assignment.endpoints[0].lb_endpoints[0]";
        UnaryOperator<LbEndpoint> inGroup = e -> e;
        p.put("envoy.config.endpoint.v3.LbEndpoint", new Place(lbe, endpoint("10.0.0.1"),
                m -> cla.clone().addEndpoints(GROUP.toBuilder().setLbEndpoints(0, (LbEndpoint) m)).build()));
        p.put("envoy.config.core.v3.Metadata", new Place(lbe + ".metadata", Metadata.getDefaultInstance(),
                m -> cla.clone().addEndpoints(GROUP.toBuilder().setLbEndpoints(0,
                        inGroup.apply(endpoint("10.0.0.1")).toBuilder().setMetadata((Metadata) m))).build()));
        p.put("envoy.config.endpoint.v3.Endpoint", new Place(lbe + ".endpoint", endpoint("10.0.0.1").getEndpoint(),
                m -> cla.clone().addEndpoints(GROUP.toBuilder().setLbEndpoints(0,
                        LbEndpoint.newBuilder().setEndpoint((Endpoint) m))).build()));
        p.put("envoy.config.core.v3.Address", new Place(lbe + ".endpoint.address",
                endpoint("10.0.0.1").getEndpoint().getAddress(),
                m -> cla.clone().addEndpoints(GROUP.toBuilder().setLbEndpoints(0, LbEndpoint.newBuilder()
                        .setEndpoint(Endpoint.newBuilder().setAddress((Address) m)))).build()));
        p.put("envoy.config.core.v3.SocketAddress", new Place(lbe + ".endpoint.address.socket_address",
                endpoint("10.0.0.1").getEndpoint().getAddress().getSocketAddress(),
                m -> cla.clone().addEndpoints(GROUP.toBuilder().setLbEndpoints(0, LbEndpoint.newBuilder()
                        .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder()
                                .setSocketAddress((SocketAddress) m))))).build()));
        return p;
    }

    /** Sample values where the generic one would be invalid or change nothing, by "type.field". */
    static Map<String, Object> samples() {
        Map<String, Object> s = new HashMap<>();
        s.put("envoy.config.cluster.v3.Cluster.common_lb_config", Cluster.CommonLbConfig.newBuilder()
                .setHealthyPanicThreshold(Percent.newBuilder().setValue(20)).build());
        s.put("envoy.config.cluster.v3.Cluster.round_robin_lb_config", Cluster.RoundRobinLbConfig.newBuilder()
                .setSlowStartConfig(SLOW_START).build());
        s.put("envoy.config.cluster.v3.Cluster.load_balancing_policy", LoadBalancingPolicy.newBuilder()
                .addPolicies(policy(Random.getDefaultInstance())).build());
        s.put("envoy.config.cluster.v3.Cluster.CommonLbConfig.zone_aware_lb_config",
                Cluster.CommonLbConfig.ZoneAwareLbConfig.newBuilder().setFailTrafficOnPanic(true).build());
        s.put("envoy.config.cluster.v3.Cluster.LeastRequestLbConfig.choice_count", UInt32Value.of(3));
        s.put("envoy.config.cluster.v3.Cluster.LeastRequestLbConfig.slow_start_config", SLOW_START);
        s.put("envoy.config.cluster.v3.Cluster.RoundRobinLbConfig.slow_start_config", SLOW_START);
        s.put("envoy.config.cluster.v3.Cluster.RingHashLbConfig.maximum_ring_size", UInt64Value.of(4096));
        s.put("envoy.config.cluster.v3.Cluster.SlowStartConfig.slow_start_window", seconds(5));
        s.put("envoy.extensions.load_balancing_policies.common.v3.SlowStartConfig.slow_start_window", seconds(5));
        s.put("envoy.config.cluster.v3.Cluster.SlowStartConfig.aggression", RuntimeDouble.newBuilder()
                .setDefaultValue(2).setRuntimeKey("k").build());
        s.put("envoy.config.cluster.v3.OutlierDetection.max_ejection_time", seconds(400));
        s.put("envoy.config.cluster.v3.LoadBalancingPolicy.policies", policy(Random.getDefaultInstance()));
        s.put("envoy.config.cluster.v3.LoadBalancingPolicy.Policy.typed_extension_config",
                policy(Random.getDefaultInstance()).getTypedExtensionConfig());
        String common = "envoy.extensions.load_balancing_policies.common.v3.";
        LocalityLbConfig weighted = LocalityLbConfig.newBuilder()
                .setLocalityWeightedLbConfig(LocalityLbConfig.LocalityWeightedLbConfig.getDefaultInstance()).build();
        s.put(common + "LocalityLbConfig.zone_aware_lb_config", LocalityLbConfig.ZoneAwareLbConfig.newBuilder()
                .setFailTrafficOnPanic(true).build());
        s.put(common + "SlowStartConfig.aggression", RuntimeDouble.newBuilder().setDefaultValue(2).setRuntimeKey("k")
                .build());
        String lbp = "envoy.extensions.load_balancing_policies.";
        for (String t : List.of("round_robin.v3.RoundRobin", "least_request.v3.LeastRequest")) {
            s.put(lbp + t + ".slow_start_config", TYPED_SLOW_START);
            s.put(lbp + t + ".locality_lb_config", weighted);
        }
        s.put(lbp + "random.v3.Random.locality_lb_config", weighted);
        s.put(lbp + "least_request.v3.LeastRequest.choice_count", UInt32Value.of(3));
        for (String t : List.of("ring_hash.v3.RingHash", "maglev.v3.Maglev")) {
            s.put(lbp + t + ".consistent_hashing_lb_config", ConsistentHashingLbConfig.newBuilder()
                    .setUseHostnameForHashing(true).build());
        }
        s.put(lbp + "ring_hash.v3.RingHash.hash_function", RingHash.HashFunction.MURMUR_HASH_2.getValueDescriptor());
        s.put(lbp + "ring_hash.v3.RingHash.maximum_ring_size", UInt64Value.of(4096));

        s.put("envoy.config.endpoint.v3.ClusterLoadAssignment.endpoints", LocalityLbEndpoints.newBuilder()
                .addLbEndpoints(endpoint("10.0.0.9")).build());
        s.put("envoy.config.endpoint.v3.ClusterLoadAssignment.policy", ClusterLoadAssignment.Policy.newBuilder()
                .setOverprovisioningFactor(UInt32Value.of(200)).build());
        s.put("envoy.config.endpoint.v3.ClusterLoadAssignment.Policy.drop_overloads",
                ClusterLoadAssignment.Policy.DropOverload.newBuilder().setCategory("x").build());
        s.put("envoy.config.endpoint.v3.LocalityLbEndpoints.locality", Locality.newBuilder().setRegion("r").build());
        s.put("envoy.config.endpoint.v3.LocalityLbEndpoints.lb_endpoints", endpoint("10.0.0.9"));
        s.put("envoy.config.endpoint.v3.LbEndpoint.endpoint", endpoint("10.0.0.9").getEndpoint());
        s.put("envoy.config.endpoint.v3.LbEndpoint.metadata", labels());
        s.put("envoy.config.endpoint.v3.Endpoint.address", endpoint("10.0.0.9").getEndpoint().getAddress());
        s.put("envoy.config.endpoint.v3.Endpoint.health_check_config", Endpoint.HealthCheckConfig.newBuilder()
                .setPortValue(8080).build());
        s.put("envoy.config.core.v3.Address.socket_address", endpoint("10.0.0.9").getEndpoint().getAddress()
                .getSocketAddress());
        s.put("envoy.config.core.v3.Metadata.filter_metadata", labels().getFilterMetadataMap()
                .get(LoadAssignments.LABELS_NAMESPACE));
        return s;
    }

    static Metadata labels() {
        return Metadata.newBuilder().putFilterMetadata(LoadAssignments.LABELS_NAMESPACE, Struct.newBuilder()
                .putFields("version", Value.newBuilder().setStringValue("v1").build()).build()).build();
    }

    @Test
    void everyFieldHasARule() {
        for (Map.Entry<String, Map<String, FieldRules.Rule>> e : FieldRules.all().entrySet()) {
            Descriptor type = EnvoyJson.REGISTRY.find(e.getKey());
            assertThat(type).as("%s is a message type of Meridian's Envoy API", e.getKey()).isNotNull();
            for (FieldDescriptor f : type.getFields()) {
                assertThat(e.getValue()).as("%s.%s has a rule in FieldRules", e.getKey(), f.getName())
                        .containsKey(f.getName());
            }
            for (Map.Entry<String, FieldRules.Rule> r : e.getValue().entrySet()) {
                assertThat(type.findFieldByName(r.getKey())).as("%s.%s exists", e.getKey(), r.getKey()).isNotNull();
                if (r.getValue().kind() == FieldRules.Kind.WARNED) {
                    assertThat(r.getValue().message()).as("%s.%s says why", e.getKey(), r.getKey()).isNotBlank();
                }
            }
        }
        assertThat(FieldRules.all()).containsKeys("envoy.config.cluster.v3.Cluster",
                "envoy.config.endpoint.v3.ClusterLoadAssignment", "envoy.config.endpoint.v3.LocalityLbEndpoints",
                "envoy.config.endpoint.v3.LbEndpoint", "envoy.config.endpoint.v3.Endpoint",
                "envoy.config.endpoint.v3.ClusterLoadAssignment.Policy", "envoy.config.cluster.v3.OutlierDetection",
                "envoy.config.cluster.v3.Cluster.CommonLbConfig");
        assertThat(places().keySet()).as("every message with rules is placed in a resource by this test")
                .containsExactlyInAnyOrderElementsOf(FieldRules.all().keySet());
    }

    @Test
    void eachFieldSetDoesWhatItsRuleSays() {
        Map<String, Object> samples = samples();
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Place> e : places().entrySet()) {
            Place place = e.getValue();
            Outcome base = translate(place.root().apply(place.base()));
            assertThat(base.error).as("%s's base translates", e.getKey()).isNull();
            for (FieldDescriptor f : place.base().getDescriptorForType().getFields()) {
                String key = e.getKey() + "." + f.getName();
                FieldRules.Rule rule = FieldRules.of(place.base().getDescriptorForType()).get(f.getName());
                String path = place.path() + "." + f.getName();
                Message changed = with(place.base(), f, samples.get(key));
                Outcome out = translate(place.root().apply(changed));
                String problem = check(rule.kind(), path, base, out);
                if (problem != null) {
                    failures.add(key + " (" + rule.kind() + "): " + problem);
                }
            }
        }
        if (!failures.isEmpty()) {
            fail(String.join("\n", failures));
        }
    }

    @Test
    void fieldsTheParserDidNotKnowAreReported() {
        Cluster c = cluster().setUnknownFields(UnknownFieldSet.newBuilder()
                .addField(9999, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()).build();

        Translated<ClusterSettings> t = EnvoyClusters.fromEnvoy(c, 38);

        assertThat(t.warnings()).extracting(XdsWarning::field).containsExactly("cluster");
        assertThat(t.warnings().get(0).message()).contains("9999");
    }

    static String check(FieldRules.Kind kind, String path, Outcome base, Outcome out) {
        switch (kind) {
            case REJECTED -> {
                if (out.error == null || !(out.error.startsWith(path + ":") || out.error.startsWith(path + "."))) {
                    return "expected an IllegalArgumentException naming " + path + ", got " + out;
                }
            }
            case WARNED -> {
                if (out.error != null || out.warnings.stream().noneMatch(w -> w.field().equals(path))) {
                    return "expected a warning at " + path + ", got " + out;
                }
            }
            case NOT_ABOUT_ENDPOINT_CHOICE -> {
                if (out.error != null || out.warningsAt(path) || !Objects.equals(out.value, base.value)) {
                    return "expected the base's result and no warning, got " + out;
                }
            }
            case MAPPED -> {
                if (out.error != null) {
                    return "the sample was rejected: " + out.error;
                }
                if (Objects.equals(out.value, base.value) && !out.warningsAt(path)) {
                    return "the sample changed nothing and was not reported: " + out;
                }
                if (out.warnings.stream().anyMatch(w -> w.message().contains("does not know"))) {
                    return "reported as unknown: " + out;
                }
            }
        }
        return null;
    }

    record Outcome(Object value, List<XdsWarning> warnings, String error) {
        boolean warningsAt(String path) {
            return warnings.stream().anyMatch(w -> w.field().equals(path) || w.field().startsWith(path + ".")
                    || w.field().startsWith(path + "["));
        }
    }

    static Outcome translate(Message resource) {
        try {
            Translated<?> t = resource instanceof Cluster c ? EnvoyClusters.fromEnvoy(c, 38)
                    : LoadAssignments.fromEnvoy((ClusterLoadAssignment) resource);
            return new Outcome(t.value(), t.warnings(), null);
        } catch (IllegalArgumentException e) {
            return new Outcome(null, List.of(), e.getMessage());
        }
    }

    static Message with(Message base, FieldDescriptor f, Object sample) {
        Message.Builder b = base.toBuilder();
        if (f.isMapField()) {
            Message.Builder entry = b.newBuilderForField(f);
            FieldDescriptor value = f.getMessageType().findFieldByName("value");
            entry.setField(f.getMessageType().findFieldByName("key"), "k");
            entry.setField(value, sample != null ? sample : sample(value, entry));
            b.addRepeatedField(f, entry.build());
        } else if (f.isRepeated()) {
            b.addRepeatedField(f, sample != null ? sample : sample(f, b));
        } else {
            b.setField(f, sample != null ? sample : sample(f, b));
        }
        return b.build();
    }

    /** A value of the field's type that differs from its default. */
    static Object sample(FieldDescriptor f, Message.Builder owner) {
        return switch (f.getJavaType()) {
            case INT -> 2;
            case LONG -> 2L;
            case FLOAT -> 2f;
            case DOUBLE -> 2.0;
            case BOOLEAN -> true;
            case STRING -> "x";
            case BYTE_STRING -> ByteString.copyFromUtf8("x");
            case ENUM -> {
                EnumValueDescriptor v = f.getEnumType().findValueByNumber(1);
                yield v != null ? v : f.getEnumType().getValues().get(f.getEnumType().getValues().size() - 1);
            }
            case MESSAGE -> switch (f.getMessageType().getFullName()) {
                case "google.protobuf.UInt32Value" -> UInt32Value.of(2);
                case "google.protobuf.UInt64Value" -> UInt64Value.of(2);
                case "google.protobuf.Int32Value" -> Int32Value.of(2);
                case "google.protobuf.Int64Value" -> Int64Value.of(2);
                case "google.protobuf.BoolValue" -> BoolValue.of(true);
                case "google.protobuf.DoubleValue" -> DoubleValue.of(2);
                case "google.protobuf.FloatValue" -> FloatValue.of(2);
                case "google.protobuf.StringValue" -> StringValue.of("x");
                case "google.protobuf.Duration" -> seconds(1);
                case "envoy.type.v3.Percent" -> Percent.newBuilder().setValue(2).build();
                default -> owner.newBuilderForField(f).build();
            };
        };
    }
}
