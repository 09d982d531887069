package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Endpoint;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import dev.meridian.topology.Caller;
import dev.meridian.topology.ExcludedEndpoint;
import dev.meridian.topology.LocalityGroup;
import dev.meridian.topology.Priority;
import dev.meridian.topology.PriorityAssignment;
import dev.meridian.topology.TrafficDistribution;
import java.util.ArrayList;
import java.util.HashMap;
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
 * The endpoints Istio never sends to a sidecar and the Service settings that change it: istio/istio
 * 1.30.3 {@code pilot/pkg/xds/endpoints/endpoint_builder.go} {@code filterIstioEndpoint} and
 * {@code buildEnvoyLbEndpoint}, {@code pilot/pkg/model/service.go} {@code SupportsUnhealthyEndpoints},
 * {@code GetTrafficDistribution}, {@code pilot/pkg/networking/core/cluster_traffic_policy.go}
 * {@code applyLoadBalancer} and {@code applyOutlierDetection} (panic threshold forced to 0).
 */
class KubernetesServiceTest {
    static final IstioRelease R130 = IstioRelease.LATEST;

    static Endpoint ep(String address, HealthStatus health, Map<String, String> labels) {
        return Endpoint.parseAddress(address, Locality.parse("r1/z1"), labels, 1, health, Endpoint.NO_PRIORITY);
    }

    static final List<Endpoint> MIXED = List.of(
            ep("10.0.0.1:80", HealthStatus.HEALTHY, Map.of()),
            ep("10.0.0.2:80", HealthStatus.UNHEALTHY, Map.of()),
            ep("10.0.0.3:80", HealthStatus.TERMINATING, Map.of()),
            ep("10.0.0.4:80", HealthStatus.DRAINING, Map.of()),
            ep("10.0.0.5:80", HealthStatus.HEALTHY, Map.of(KubernetesService.LABEL_DRAINING, "true")));

    static KubernetesService service(String td, Map<String, String> labels, boolean sendUnhealthy) {
        return new KubernetesService(td, Map.of(), Map.of(), labels, sendUnhealthy);
    }

    static List<String> addresses(List<Endpoint> eps) {
        return eps.stream().map(Endpoint::address).toList();
    }

    @Test
    @DisplayName("a plain Service: only the ready endpoint is sent; not ready, terminating, draining and"
            + " istio.io/draining-labelled are dropped, each with its reason")
    void plainServiceSendsOnlyReady() {
        KubernetesService.SentEndpoints s = KubernetesService.NONE.sentEndpoints(MIXED, R130);
        assertThat(addresses(s.sent())).containsExactly("10.0.0.1:80");
        assertThat(s.excluded()).extracting(x -> x.endpoint().address())
                .containsExactly("10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80", "10.0.0.5:80");
        assertThat(s.excluded().get(0).reason()).contains("not ready");
        assertThat(s.excluded().get(1).reason()).contains("terminating");
        assertThat(s.excluded().get(2).reason()).contains(KubernetesService.LABEL_PERSISTENT_SESSION);
        assertThat(s.excluded().get(3).reason()).contains(KubernetesService.LABEL_DRAINING);
    }

    @Test
    @DisplayName("PILOT_SEND_UNHEALTHY_ENDPOINTS or a trafficDistribution: not-ready endpoints are sent as UNHEALTHY,"
            + " terminating ones still never")
    void unhealthySentWhenSupported() {
        for (KubernetesService svc : List.of(service(null, Map.of(), true), service("PreferClose", Map.of(), false))) {
            KubernetesService.SentEndpoints s = svc.sentEndpoints(MIXED, R130);
            assertThat(addresses(s.sent())).containsExactly("10.0.0.1:80", "10.0.0.2:80");
            assertThat(s.sent().get(1).health()).isEqualTo(HealthStatus.UNHEALTHY);
            assertThat(s.excluded()).extracting(x -> x.endpoint().address()).contains("10.0.0.3:80");
        }
    }

    @Test
    @DisplayName("before 1.25 (pull request 54711) a terminating pod was UNHEALTHY: sent with PILOT_SEND_UNHEALTHY_ENDPOINTS")
    void terminatingBefore125() {
        KubernetesService.SentEndpoints s = service(null, Map.of(), true).sentEndpoints(MIXED, new IstioRelease(1, 24));
        assertThat(addresses(s.sent())).containsExactly("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80");
        assertThat(s.sent().get(2).health()).isEqualTo(HealthStatus.UNHEALTHY);
    }

    @Test
    @DisplayName("istio.io/persistent-session: DRAINING endpoints are sent, and a labelled endpoint is sent as DRAINING;"
            + " the header label alone does not pass the filter")
    void persistentSessionKeepsDraining() {
        KubernetesService.SentEndpoints s = service(null, Map.of(KubernetesService.LABEL_PERSISTENT_SESSION, "JSESSIONID"),
                false).sentEndpoints(MIXED, R130);
        assertThat(addresses(s.sent())).containsExactly("10.0.0.1:80", "10.0.0.4:80", "10.0.0.5:80");
        assertThat(s.sent().get(2).health()).isEqualTo(HealthStatus.DRAINING);
        KubernetesService header = service(null, Map.of(KubernetesService.LABEL_PERSISTENT_SESSION_HEADER, "x-session"),
                false);
        assertThat(addresses(header.sentEndpoints(MIXED, R130).sent())).containsExactly("10.0.0.1:80");
        // Before 1.16 (pull request 40660) Istio had no DRAINING state to send.
        assertThat(addresses(service(null, Map.of(KubernetesService.LABEL_PERSISTENT_SESSION, "s"), false)
                .sentEndpoints(MIXED, new IstioRelease(1, 15)).sent())).containsExactly("10.0.0.1:80");
    }

    @Test
    @DisplayName("panic threshold: 0 when unhealthy endpoints are sent, with or without outlier detection"
            + " (applyLoadBalancer; applyOutlierDetection replaces minHealthPercent)")
    void panicThresholdForcedToZero() {
        DestinationPolicy plain = DestinationPolicy.from((DestinationRule) null, null, MeshConfigs.MESH_DEFAULT);
        assertThat(plain.lbFor(KubernetesService.NONE, R130).panicThreshold()).isEqualTo(50.0);
        assertThat(plain.lbFor(service("PreferSameZone", Map.of(), false), R130).panicThreshold()).isZero();
        assertThat(plain.lbFor(service(null, Map.of(), true), R130).panicThreshold()).isZero();
        assertThat(plain.serviceNote(service(null, Map.of(), true), R130)).contains("PILOT_SEND_UNHEALTHY_ENDPOINTS");
        DestinationPolicy minHealth = DestinationPolicy.from(DestinationRules.parse("dr.yaml", """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews}
                spec:
                  host: reviews
                  trafficPolicy:
                    outlierDetection: {consecutive5xxErrors: 5, minHealthPercent: 30}
                """).value(), null, MeshConfigs.MESH_DEFAULT);
        assertThat(minHealth.lbFor(KubernetesService.NONE, R130).panicThreshold()).isEqualTo(30.0);
        assertThat(minHealth.lbFor(service("PreferClose", Map.of(), false), R130).panicThreshold()).isZero();
        // A release that ignores the field sends no unhealthy endpoints and keeps Envoy's threshold.
        assertThat(plain.lbFor(service("PreferClose", Map.of(), false), new IstioRelease(1, 24)).panicThreshold())
                .isEqualTo(50.0);
    }

    @Test
    @DisplayName("GetTrafficDistribution: spec field, then the Service annotation (any case), then the namespace's")
    void trafficDistributionSources() {
        String anno = KubernetesService.ANNOTATION_TRAFFIC_DISTRIBUTION;
        List<String> w = new ArrayList<>();
        assertThat(new KubernetesService("PreferSameNode", Map.of(anno, "PreferClose"), Map.of(), Map.of(), false)
                .istioTrafficDistribution(R130, w)).isEqualTo(TrafficDistribution.PREFER_SAME_NODE);
        assertThat(new KubernetesService(null, Map.of(anno, "prefersamezone"), Map.of(anno, "PreferSameNode"), Map.of(),
                false).istioTrafficDistribution(R130, w)).isEqualTo(TrafficDistribution.PREFER_SAME_ZONE);
        assertThat(new KubernetesService(null, Map.of(), Map.of(anno, "PreferSameNode"), Map.of(), false)
                .istioTrafficDistribution(R130, w)).isEqualTo(TrafficDistribution.PREFER_SAME_NODE);
        assertThat(w).isEmpty();
        // An unknown Service annotation is Any, and the namespace is not consulted.
        assertThat(new KubernetesService(null, Map.of(anno, "Nearby"), Map.of(anno, "PreferSameNode"), Map.of(), false)
                .istioTrafficDistribution(R130, w)).isEqualTo(TrafficDistribution.ANY);
        assertThat(w).singleElement().asString().contains("'Nearby'");
        // 1.29 reads no namespace annotation (pull request 58701 is in 1.30).
        assertThat(new KubernetesService(null, Map.of(), Map.of(anno, "PreferSameNode"), Map.of(), false)
                .istioTrafficDistribution(new IstioRelease(1, 29), new ArrayList<>())).isEqualTo(TrafficDistribution.ANY);
        // kube-proxy reads only the field.
        assertThat(new KubernetesService(null, Map.of(anno, "PreferClose"), Map.of(), Map.of(), false)
                .kubernetesTrafficDistribution()).isEqualTo(TrafficDistribution.ANY);
    }

    @Test
    void anInvalidFieldNamesFieldAndValue() {
        assertThatThrownBy(() -> new KubernetesService("Closest", Map.of(), Map.of(), Map.of(), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("service.trafficDistribution").hasMessageContaining("'Closest'");
    }

    @Test
    @DisplayName("DestinationPolicy.assign with a Service: dropped endpoints first in excluded, the rest prioritized")
    void assignWithService() {
        DestinationPolicy plain = DestinationPolicy.from((DestinationRule) null, null, MeshConfigs.MESH_DEFAULT);
        List<Endpoint> eps = List.of(
                Endpoint.parseAddress("10.0.0.1:80", Locality.parse("r1/z1"), Map.of(), 1, HealthStatus.UNHEALTHY, -1),
                Endpoint.parseAddress("10.0.0.2:80", Locality.parse("r1/z2"), Map.of(), 1, HealthStatus.HEALTHY, -1),
                Endpoint.parseAddress("10.0.0.3:80", Locality.parse("r2/z1"), Map.of(), 1, HealthStatus.TERMINATING, -1));
        PriorityAssignment a = plain.assign(eps, Caller.at(Locality.parse("r1/z1")),
                service("PreferSameZone", Map.of(), false), R130);
        assertThat(a.priorityOf("10.0.0.1:80")).isZero();
        assertThat(a.priorityOf("10.0.0.2:80")).isEqualTo(1);
        assertThat(a.excluded()).singleElement().extracting(x -> x.endpoint().address()).isEqualTo("10.0.0.3:80");
        // The same endpoints without a Service: one priority of one endpoint, two dropped.
        PriorityAssignment none = plain.assign(eps, Caller.at(Locality.parse("r1/z1")), KubernetesService.NONE, R130);
        assertThat(none.hostCount()).isEqualTo(1);
        assertThat(none.excluded()).hasSize(2);
    }

    @Property
    @Label("Istio path: no endpoint is both sent and excluded, every one is one or the other, every exclusion has a"
            + " reason, and nothing TERMINATING is sent")
    void sentAndExcludedPartitionTheEndpoints(@ForAll("endpoints") List<Endpoint> eps, @ForAll("services")
            KubernetesService svc, @ForAll("zones") String callerZone) {
        DestinationPolicy plain = DestinationPolicy.from((DestinationRule) null, null, MeshConfigs.MESH_DEFAULT);
        PriorityAssignment a = plain.assign(eps, Caller.at(Locality.of("r1", callerZone, "")), svc, R130);
        Map<String, Integer> seen = new HashMap<>();
        for (Priority p : a.priorities()) {
            for (LocalityGroup g : p.localities()) {
                for (Endpoint e : g.endpoints()) {
                    assertThat(e.health()).isNotEqualTo(HealthStatus.TERMINATING);
                    if (!svc.supportsUnhealthyEndpoints(R130)) {
                        assertThat(e.health()).isNotEqualTo(HealthStatus.UNHEALTHY);
                    }
                    seen.merge(e.address(), 1, Integer::sum);
                }
            }
        }
        for (ExcludedEndpoint x : a.excluded()) {
            assertThat(x.reason()).isNotBlank();
            seen.merge(x.endpoint().address(), 1, Integer::sum);
        }
        assertThat(seen).hasSize(eps.size()).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
    }

    @Provide
    Arbitrary<String> zones() {
        return Arbitraries.of("z1", "z2", "");
    }

    @Provide
    Arbitrary<KubernetesService> services() {
        return Combinators.combine(Arbitraries.of("PreferClose", "PreferSameZone", "PreferSameNode").injectNull(0.4),
                Arbitraries.of(Map.<String, String>of(), Map.of(KubernetesService.LABEL_PERSISTENT_SESSION, "s")),
                Arbitraries.of(true, false)).as((td, labels, send) -> new KubernetesService(td, Map.of(), Map.of(),
                labels, send));
    }

    @Provide
    Arbitrary<List<Endpoint>> endpoints() {
        Arbitrary<Endpoint> one = Combinators.combine(Arbitraries.of("r1", "r2"), Arbitraries.of("z1", "z2", ""),
                Arbitraries.of(HealthStatus.class), Arbitraries.of(true, false), Arbitraries.integers().between(1, 250))
                .as((r, z, h, draining, ip) -> Endpoint.parseAddress("10.0.0." + ip + ":80", Locality.of(r, z, ""),
                        draining ? Map.of(KubernetesService.LABEL_DRAINING, "yes") : Map.of(), 1, h,
                        Endpoint.NO_PRIORITY));
        return one.list().ofMaxSize(12).uniqueElements(Endpoint::address);
    }
}
