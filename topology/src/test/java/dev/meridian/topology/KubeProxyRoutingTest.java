package dev.meridian.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Endpoint;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * kube-proxy for a caller outside the mesh: kubernetes {@code pkg/proxy/topology.go}
 * ({@code CategorizeEndpoints}, {@code topologyModeFromHints}, {@code availableForTopology}) over the
 * hints {@code staging/src/k8s.io/endpointslice/trafficdist/trafficdist.go} writes (KEP-4444
 * trafficDistribution, KEP-1669 serving-terminating fallback).
 */
class KubeProxyRoutingTest {
    static final String HOST = TrafficDistribution.LABEL_HOSTNAME;

    static Endpoint ep(String address, String locality, String node, HealthStatus health) {
        return Endpoint.parseAddress(address, Locality.parse(locality), node == null ? Map.of() : Map.of(HOST, node), 1,
                health, Endpoint.NO_PRIORITY);
    }

    static Caller caller(String locality, String node) {
        return new Caller(Locality.parse(locality), node == null ? Map.of() : Map.of(HOST, node));
    }

    static List<String> used(PriorityAssignment a) {
        List<String> out = new ArrayList<>();
        for (Priority p : a.priorities()) {
            for (Endpoint e : p.endpoints()) {
                out.add(e.address());
            }
        }
        return out;
    }

    static final List<Endpoint> THREE_ZONES = List.of(
            ep("10.0.0.1:80", "r1/z1", "n1", HealthStatus.HEALTHY),
            ep("10.0.0.2:80", "r1/z2", "n2", HealthStatus.HEALTHY),
            ep("10.0.0.3:80", "r2/z3", "n3", HealthStatus.HEALTHY));

    @Test
    @DisplayName("PreferSameZone: only the ready endpoints hinted for the caller's zone, in one priority, RANDOM-ready")
    void sameZoneOnly() {
        PriorityAssignment a = KubeProxyRouting.assign(THREE_ZONES, caller("r1/z1", "n9"),
                TrafficDistribution.PREFER_SAME_ZONE);
        assertThat(used(a)).containsExactly("10.0.0.1:80");
        assertThat(a.priorities()).hasSize(1);
        assertThat(a.localityWeighted()).isFalse();
        assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_KUBE_PROXY);
        assertThat(a.excluded()).extracting(x -> x.endpoint().address()).containsExactly("10.0.0.2:80", "10.0.0.3:80");
    }

    @Test
    @DisplayName("no ready endpoint in the caller's zone: cluster-wide, the same region not preferred (no region level)")
    void noEndpointInZoneGoesClusterWide() {
        PriorityAssignment a = KubeProxyRouting.assign(THREE_ZONES, caller("r1/z7", null),
                TrafficDistribution.PREFER_SAME_ZONE);
        assertThat(used(a)).containsExactly("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80");
        assertThat(a.applied()).isFalse();
        assertThat(a.reason()).contains("no ready endpoint is in the caller's zone 'z7'");
    }

    @Test
    @DisplayName("a not-ready endpoint in the zone is not a hint: the zone's ready one serves alone")
    void notReadyInZoneIsIgnored() {
        List<Endpoint> eps = List.of(
                ep("10.0.0.1:80", "r1/z1", "n1", HealthStatus.UNHEALTHY),
                ep("10.0.0.4:80", "r1/z1", "n4", HealthStatus.HEALTHY),
                ep("10.0.0.2:80", "r1/z2", "n2", HealthStatus.HEALTHY));
        PriorityAssignment a = KubeProxyRouting.assign(eps, caller("r1/z1", null), TrafficDistribution.PREFER_CLOSE);
        assertThat(used(a)).containsExactly("10.0.0.4:80");
    }

    @Test
    @DisplayName("a ready endpoint without a zone gets no hint, so kube-proxy ignores every hint")
    void missingZoneDisablesHints() {
        List<Endpoint> eps = new ArrayList<>(THREE_ZONES);
        eps.add(ep("10.0.0.5:80", "r1", null, HealthStatus.HEALTHY));
        PriorityAssignment a = KubeProxyRouting.assign(eps, caller("r1/z1", null), TrafficDistribution.PREFER_SAME_ZONE);
        assertThat(used(a)).hasSize(4);
        assertThat(a.reason()).contains("has no zone");
    }

    @Test
    @DisplayName("PreferSameNode: the caller's node; with no endpoint on it, the zone; (node, then zone, then cluster)")
    void preferSameNode() {
        List<Endpoint> eps = List.of(
                ep("10.0.0.1:80", "r1/z1", "n1", HealthStatus.HEALTHY),
                ep("10.0.0.6:80", "r1/z1", "n6", HealthStatus.HEALTHY),
                ep("10.0.0.2:80", "r1/z2", "n2", HealthStatus.HEALTHY));
        assertThat(used(KubeProxyRouting.assign(eps, caller("r1/z1", "n1"), TrafficDistribution.PREFER_SAME_NODE)))
                .containsExactly("10.0.0.1:80");
        assertThat(used(KubeProxyRouting.assign(eps, caller("r1/z1", "n5"), TrafficDistribution.PREFER_SAME_NODE)))
                .containsExactly("10.0.0.1:80", "10.0.0.6:80");
        assertThat(used(KubeProxyRouting.assign(eps, caller("r1/z9", "n5"), TrafficDistribution.PREFER_SAME_NODE)))
                .hasSize(3);
        // PreferSameZone writes no node hints: the caller's node counts for nothing.
        assertThat(used(KubeProxyRouting.assign(eps, caller("r1/z1", "n1"), TrafficDistribution.PREFER_SAME_ZONE)))
                .containsExactly("10.0.0.1:80", "10.0.0.6:80");
    }

    @Test
    @DisplayName("no ready endpoint anywhere: serving-terminating (DRAINING) endpoints cluster-wide, as healthy")
    void servingTerminatingFallback() {
        List<Endpoint> eps = List.of(
                ep("10.0.0.1:80", "r1/z1", "n1", HealthStatus.UNHEALTHY),
                ep("10.0.0.2:80", "r1/z2", "n2", HealthStatus.DRAINING),
                ep("10.0.0.3:80", "r2/z3", "n3", HealthStatus.TERMINATING));
        PriorityAssignment a = KubeProxyRouting.assign(eps, caller("r1/z1", null), TrafficDistribution.PREFER_SAME_ZONE);
        assertThat(used(a)).containsExactly("10.0.0.2:80");
        assertThat(a.priorities().get(0).endpoints().get(0).health()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(a.excluded()).extracting(x -> x.endpoint().address()).containsExactlyInAnyOrder("10.0.0.1:80",
                "10.0.0.3:80");
    }

    @Test
    @DisplayName("Any: every ready endpoint, no hints")
    void anyUsesEveryReadyEndpoint() {
        PriorityAssignment a = KubeProxyRouting.assign(THREE_ZONES, caller("r1/z1", "n1"), TrafficDistribution.ANY);
        assertThat(used(a)).hasSize(3);
        assertThat(a.excluded()).isEmpty();
    }

    @Test
    @DisplayName("hints read from the slices: kube-proxy follows them, not the endpoints' zones"
            + " (pkg/proxy/topology.go topologyModeFromHints reads only hints)")
    void readHintsDecide() {
        // As the topology-aware-hints heuristic may write them: z2's endpoint also serves z1.
        Map<String, KubeProxyRouting.Hints> hints = Map.of(
                "10.0.0.1:80", new KubeProxyRouting.Hints(java.util.Set.of("z1"), java.util.Set.of()),
                "10.0.0.2:80", new KubeProxyRouting.Hints(java.util.Set.of("z1", "z2"), java.util.Set.of()),
                "10.0.0.3:80", new KubeProxyRouting.Hints(java.util.Set.of("z3"), java.util.Set.of()));
        PriorityAssignment a = KubeProxyRouting.assign(THREE_ZONES, caller("r1/z1", "n9"), hints);
        assertThat(used(a)).containsExactly("10.0.0.1:80", "10.0.0.2:80");
        assertThat(a.reason()).contains("EndpointSlice hints");
        assertThat(a.excluded()).extracting(x -> x.reason())
                .containsExactly("kube-proxy PreferSameZone: its zone hint 'z3' is not the caller's zone 'z1'"
                        + " (pkg/proxy/topology.go availableForTopology)");

        // One ready endpoint without a hint: kube-proxy ignores every hint.
        Map<String, KubeProxyRouting.Hints> partial = new java.util.HashMap<>(hints);
        partial.remove("10.0.0.3:80");
        PriorityAssignment b = KubeProxyRouting.assign(THREE_ZONES, caller("r1/z1", "n9"), partial);
        assertThat(used(b)).hasSize(3);
        assertThat(b.reason()).contains("a ready endpoint has no zone hint");

        // No hints at all: as trafficDistribution unset.
        assertThat(used(KubeProxyRouting.assign(THREE_ZONES, caller("r1/z1", "n9"), Map.of()))).hasSize(3);

        // Node hints on every ready endpoint, one for the caller's node: that endpoint alone.
        Map<String, KubeProxyRouting.Hints> nodes = Map.of(
                "10.0.0.1:80", new KubeProxyRouting.Hints(java.util.Set.of("z1"), java.util.Set.of("n1")),
                "10.0.0.2:80", new KubeProxyRouting.Hints(java.util.Set.of("z2"), java.util.Set.of("n2")),
                "10.0.0.3:80", new KubeProxyRouting.Hints(java.util.Set.of("z3"), java.util.Set.of("n3")));
        assertThat(used(KubeProxyRouting.assign(THREE_ZONES, caller("r1/z2", "n2"), nodes)))
                .containsExactly("10.0.0.2:80");
    }

    @Property
    @Label("hints derived from trafficDistribution and the same hints read back route alike")
    void derivedAndReadHintsAgree(@ForAll("endpoints") List<Endpoint> eps, @ForAll("zones") String zone,
                                  @ForAll TrafficDistribution distribution) {
        Map<String, KubeProxyRouting.Hints> hints = new java.util.HashMap<>();
        for (Endpoint e : eps) {
            String z = e.locality().zone();
            String n = e.labels().getOrDefault(HOST, "");
            hints.put(e.address(), new KubeProxyRouting.Hints(
                    distribution.prefers() && !z.isEmpty() ? java.util.Set.of(z) : java.util.Set.of(),
                    distribution == TrafficDistribution.PREFER_SAME_NODE && !n.isEmpty() ? java.util.Set.of(n)
                            : java.util.Set.of()));
        }
        Caller c = caller("r1/" + zone, "n1");
        assertThat(used(KubeProxyRouting.assign(eps, c, hints))).isEqualTo(used(KubeProxyRouting.assign(eps, c,
                distribution)));
    }

    @Property
    @Label("kube-proxy: every endpoint is used or excluded exactly once, each exclusion has a reason, and used"
            + " endpoints are ready unless none is ready")
    void everyEndpointOnce(@ForAll("endpoints") List<Endpoint> eps, @ForAll("zones") String zone,
                           @ForAll("nodes") String node, @ForAll TrafficDistribution td) {
        PriorityAssignment a = KubeProxyRouting.assign(eps, caller("r1/" + zone, node), td);
        Map<String, Integer> seen = new java.util.HashMap<>();
        for (String u : used(a)) {
            seen.merge(u, 1, Integer::sum);
        }
        for (ExcludedEndpoint x : a.excluded()) {
            assertThat(x.reason()).isNotBlank();
            seen.merge(x.endpoint().address(), 1, Integer::sum);
        }
        assertThat(seen).hasSize(eps.size()).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
        boolean anyReady = eps.stream().anyMatch(e -> e.health().isHealthy());
        for (Priority p : a.priorities()) {
            for (Endpoint e : p.endpoints()) {
                assertThat(e.health().isHealthy()).isTrue();
                Endpoint original = eps.stream().filter(o -> o.address().equals(e.address())).findFirst().orElseThrow();
                assertThat(original.health()).isEqualTo(anyReady ? original.health() : HealthStatus.DRAINING);
                if (anyReady) {
                    assertThat(original.health().isHealthy()).isTrue();
                }
            }
        }
    }

    @Provide
    Arbitrary<String> zones() {
        return Arbitraries.of("z1", "z2", "z3", "");
    }

    @Provide
    Arbitrary<String> nodes() {
        return Arbitraries.of("n1", "n2", "n3", "");
    }

    @Provide
    Arbitrary<List<Endpoint>> endpoints() {
        Arbitrary<Endpoint> one = Combinators.combine(Arbitraries.of("z1", "z2", "z3", ""),
                Arbitraries.of("n1", "n2", "n3", ""), Arbitraries.of(HealthStatus.class),
                Arbitraries.integers().between(1, 250)).as((z, n, h, ip) -> Endpoint.parseAddress("10.0.0." + ip + ":80",
                Locality.of("r1", z, ""), n.isEmpty() ? Map.of() : Map.of(HOST, n), 1, h, Endpoint.NO_PRIORITY));
        return one.list().ofMaxSize(12).uniqueElements(Endpoint::address);
    }
}
