package dev.meridian.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SlowStartConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Envoy → Meridian → Envoy → Meridian gives the same assignment and settings, for random input. */
class RoundTripProperties {

    static final Locality[] LOCALITIES = {
        Locality.newBuilder().setRegion("us-east1").setZone("us-east1-b").build(),
        Locality.newBuilder().setRegion("us-east1").setZone("us-east1-c").build(),
        Locality.newBuilder().setRegion("us-west1").setZone("us-west1-a").setSubZone("rack-7").build(),
        Locality.getDefaultInstance(),
    };

    /** One locality group: which locality, whether the message is set, its weight, its endpoints. */
    record Group(int priority, int locality, boolean localitySet, Integer weight, List<Host> hosts) {
    }

    record Host(Integer weight, int health, boolean labelled) {
    }

    @Provide
    Arbitrary<ClusterLoadAssignment> assignments() {
        Arbitrary<Host> host = Combinators.combine(Arbitraries.integers().between(1, 1000).injectNull(0.4),
                Arbitraries.integers().between(0, 5), Arbitraries.of(true, false)).as(Host::new);
        Arbitrary<Group> group = Combinators.combine(Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, LOCALITIES.length - 1), Arbitraries.of(true, false),
                Arbitraries.integers().between(1, 100).injectNull(0.3), host.list().ofMinSize(0).ofMaxSize(4))
                .as(Group::new);
        Arbitrary<Integer> factor = Arbitraries.integers().between(1, 500).injectNull(0.5);
        return Combinators.combine(group.list().ofMaxSize(8), factor, Arbitraries.of(true, false))
                .as(RoundTripProperties::cla);
    }

    static ClusterLoadAssignment cla(List<Group> groups, Integer factor, boolean weightedPriorityHealth) {
        ClusterLoadAssignment.Builder b = ClusterLoadAssignment.newBuilder().setClusterName("outbound|80||svc");
        int n = 0;
        for (Group g : groups) {
            LocalityLbEndpoints.Builder group = LocalityLbEndpoints.newBuilder().setPriority(g.priority());
            if (g.localitySet()) {
                group.setLocality(LOCALITIES[g.locality()]);
            }
            if (g.weight() != null) {
                group.setLoadBalancingWeight(UInt32Value.of(g.weight()));
            }
            for (Host h : g.hosts()) {
                n++;
                LbEndpoint.Builder e = LbEndpoint.newBuilder()
                        .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder().setSocketAddress(
                                SocketAddress.newBuilder().setAddress("10.0." + (n / 250) + "." + (n % 250 + 1))
                                        .setPortValue(8080))))
                        .setHealthStatus(HealthStatus.forNumber(h.health()));
                if (h.weight() != null) {
                    e.setLoadBalancingWeight(UInt32Value.of(h.weight()));
                }
                if (h.labelled()) {
                    e.setMetadata(Metadata.newBuilder().putFilterMetadata(LoadAssignments.LABELS_NAMESPACE,
                            Struct.newBuilder().putFields("version", Value.newBuilder().setStringValue("v" + (n % 3))
                                    .build()).build()));
                }
                group.addLbEndpoints(e);
            }
            b.addEndpoints(group);
        }
        ClusterLoadAssignment.Policy.Builder p = ClusterLoadAssignment.Policy.newBuilder()
                .setWeightedPriorityHealth(weightedPriorityHealth);
        if (factor != null) {
            p.setOverprovisioningFactor(UInt32Value.of(factor));
        }
        return b.setPolicy(p).build();
    }

    /**
     * Whatever Envoy's rules make of an assignment (locality weights from the last group that has a
     * locality and a weight, unset weights 1, gaps as empty priorities), writing it back and reading it
     * again gives the same assignment, with nothing left to warn about.
     */
    @Property(tries = 300)
    void assignmentsRoundTrip(@ForAll("assignments") ClusterLoadAssignment cla) {
        LoadAssignment first = LoadAssignments.fromEnvoy(cla).value();

        Translated<LoadAssignment> again = LoadAssignments.fromEnvoy(LoadAssignments.toEnvoy(first));

        assertThat(again.warnings()).isEmpty();
        assertThat(again.value()).isEqualTo(first);
        assertThat(again.value().table().size()).isEqualTo(countEndpoints(cla));
    }

    static int countEndpoints(ClusterLoadAssignment cla) {
        int n = 0;
        for (LocalityLbEndpoints g : cla.getEndpointsList()) {
            n += g.getLbEndpointsCount();
        }
        return n;
    }

    static final int[] PRIMES = {2, 3, 251, 65_537, 131_071, 5_000_011};

    @Provide
    Arbitrary<ClusterSettings> settings() {
        Arbitrary<LbPolicy> policy = Arbitraries.of(LbPolicy.class);
        Arbitrary<Integer> minor = Arbitraries.integers().between(LbConfig.OLDEST_ENVOY_MINOR, LbConfig.LATEST_ENVOY_MINOR);
        Arbitrary<Integer> panic = Arbitraries.integers().between(0, 100);
        Arbitrary<Integer> locality = Arbitraries.integers().between(0, 2);  // none, weighted, fail on panic
        Arbitrary<Long> seed = Arbitraries.longs();
        Arbitrary<Boolean> outlier = Arbitraries.of(true, false);
        return Combinators.combine(policy, minor, panic, locality, seed, outlier).as(RoundTripProperties::settings);
    }

    static ClusterSettings settings(LbPolicy policy, int minor, int panic, int locality, long seed, boolean outlier) {
        java.util.Random r = new java.util.Random(seed);
        LbConfig.Builder lb = LbConfig.builder().policy(policy).envoyRelease(minor).panicThreshold(panic)
                .localityWeighted(locality == 1).failTrafficOnPanic(locality == 2);
        switch (policy) {
            case LEAST_REQUEST -> lb.leastRequestChoiceCount(2 + r.nextInt(8)).activeRequestBias(r.nextInt(13) / 4.0);
            case RING_HASH -> {
                int min = 1 + r.nextInt(4096);
                lb.ringHashMinimumSize(min).ringHashMaximumSize(min + r.nextInt(LbConfig.DEFAULT_RING_HASH_MAXIMUM_SIZE
                        - min + 1));
            }
            case MAGLEV -> lb.maglevTableSize(PRIMES[r.nextInt(PRIMES.length)]);
            default -> { }
        }
        if ((policy == LbPolicy.ROUND_ROBIN || policy == LbPolicy.LEAST_REQUEST) && r.nextBoolean()) {
            lb.slowStart(new SlowStartConfig(Duration.ofMillis(1 + r.nextInt(600_000)), 0.25 + r.nextInt(16) / 4.0,
                    r.nextInt(101)));
        }
        OutlierDetectionConfig od = null;
        if (outlier) {
            Duration base = Duration.ofMillis(1 + r.nextInt(120_000));
            OutlierDetectionConfig.Builder b = OutlierDetectionConfig.builder().envoyRelease(minor)
                    .interval(Duration.ofMillis(1 + r.nextInt(60_000)))
                    .baseEjectionTime(base)
                    .maxEjectionTimeJitter(Duration.ofMillis(r.nextInt(2) * r.nextInt(10_000)))
                    .maxEjectionPercent(r.nextInt(101))
                    .consecutive5xx(r.nextInt(20)).enforcingConsecutive5xx(r.nextInt(101))
                    .consecutiveGatewayFailure(r.nextInt(20)).enforcingConsecutiveGatewayFailure(r.nextInt(101))
                    .splitExternalLocalOriginErrors(r.nextBoolean())
                    .consecutiveLocalOriginFailure(r.nextInt(20)).enforcingConsecutiveLocalOriginFailure(r.nextInt(101))
                    .successRateMinimumHosts(r.nextInt(10)).successRateRequestVolume(r.nextInt(500))
                    .successRateStdevFactor(r.nextInt(5000)).enforcingSuccessRate(r.nextInt(101))
                    .enforcingLocalOriginSuccessRate(r.nextInt(101))
                    .failurePercentageThreshold(r.nextInt(101)).failurePercentageMinimumHosts(r.nextInt(10))
                    .failurePercentageRequestVolume(r.nextInt(500)).enforcingFailurePercentage(r.nextInt(101))
                    .enforcingFailurePercentageLocalOrigin(r.nextInt(101));
            if (r.nextBoolean()) {
                b.maxEjectionTime(base.plusMillis(r.nextInt(600_000)));
            }
            if (minor >= OutlierDetectionConfig.ENVOY_ALWAYS_EJECT_ONE_HOST) {
                b.alwaysEjectOneHost(r.nextBoolean());
            }
            od = b.build();
        }
        return new ClusterSettings("outbound|80||svc", lb.build(), od);
    }

    /** Settings without zone-aware inputs written for Envoy read back equal, for the same release. */
    @Property(tries = 300)
    void settingsRoundTrip(@ForAll("settings") ClusterSettings s) {
        Translated<ClusterSettings> back = EnvoyClusters.fromEnvoy(EnvoyClusters.toEnvoy(s), s.lb().envoyRelease());

        assertThat(back.warnings()).isEmpty();
        assertThat(back.value()).isEqualTo(s);
    }

    /** The JSON a config dump or file holds reads back to the same resource. */
    @Property(tries = 100)
    void assignmentsSurviveJson(@ForAll("assignments") ClusterLoadAssignment cla) throws Exception {
        String json = com.google.protobuf.util.JsonFormat.printer().preservingProtoFieldNames().print(cla);

        Translated<ClusterLoadAssignment> parsed = ConfigDumps.parseLoadAssignment(json);

        assertThat(parsed.warnings()).isEmpty();
        assertThat(parsed.value()).isEqualTo(cla);
    }
}
