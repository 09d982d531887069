package dev.meridian.kubernetes;

import static dev.meridian.kubernetes.MeshApiServer.pod;
import static dev.meridian.kubernetes.MeshApiServer.ready;
import static dev.meridian.kubernetes.MeshApiServer.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.istio.CallerProxy;
import dev.meridian.istio.DestinationRules;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The source against a fabric8 mock API server in CRUD mode ({@link MeshApiServer}): resources are
 * created and changed through the API, the source's informers see them, and picks through the
 * {@link dev.meridian.cluster.Cluster} it feeds are counted per zone after the test drains it.
 */
class KubernetesEndpointSourceTest {
    static final int N = 3000;
    /** A third of N picks, give or take what a seeded uniform choice strays by. */
    static final int THIRD_MIN = 850;
    static final int THIRD_MAX = 1150;

    static final String RULE_WITH_OUTLIER_DETECTION = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: shop}
            spec:
              host: reviews
              trafficPolicy:
                outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
            """;

    MeshApiServer mesh;

    @BeforeEach
    void startServer() {
        mesh = new MeshApiServer();
    }

    @AfterEach
    void stopServer() {
        mesh.close();
    }

    static void assertThirds(Map<String, Integer> picks) {
        assertThat(picks).containsOnlyKeys("z1", "z2", "z3");
        assertThat(picks.values()).allSatisfy(n -> assertThat(n).isBetween(THIRD_MIN, THIRD_MAX));
    }

    static void assertHalves(Map<String, Integer> picks, String a, String b) {
        assertThat(picks).containsOnlyKeys(a, b);
        assertThat(picks.values()).allSatisfy(n -> assertThat(n).isBetween(N / 2 - 150, N / 2 + 150));
    }

    // ---------------------------------------------------------------- (1) a zone scaled to zero

    @Test
    @DisplayName("sidecar with outlier detection: z1 serves all; z1 scaled to zero fails over to z2, the same region"
            + " (Istio applyLocalityFailover: region, then zone), not to r2")
    void sidecarFailsOverWhenZoneScalesToZero() throws Exception {
        mesh.start(mesh.sourceBuilder().destinationRule(
                DestinationRules.parse("reviews", RULE_WITH_OUTLIER_DETECTION).value()));
        EndpointUpdate first = mesh.awaitUpdate(u -> true);
        assertThat(first.outlierDetection()).isNotNull();
        assertThat(first.assignment().priorityOf("10.1.0.1:8080")).isZero();
        assertThat(first.assignment().priorityOf("10.2.0.1:8080")).isEqualTo(1);
        assertThat(first.assignment().priorityOf("10.3.0.1:8080")).isEqualTo(2);
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("z1", N));

        mesh.putSlice(slice("z1"));
        mesh.awaitUpdate(u -> u.endpoints().size() == 4);
        // No errors needed: the endpoints are gone, so priority 0 is z2 now (scenarios.md 2).
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("z2", N));
    }

    @Test
    @DisplayName("sidecar without outlier detection: no failover, every zone a third; z1 at zero leaves z2 and z3"
            + " half each (Istio applies failover only with outlier detection)")
    void sidecarWithoutOutlierDetectionSpreads() throws Exception {
        mesh.start(mesh.sourceBuilder());
        EndpointUpdate first = mesh.awaitUpdate(u -> true);
        assertThat(first.outlierDetection()).isNull();
        assertThirds(mesh.picksPerZone(N));

        mesh.putSlice(slice("z1"));
        mesh.awaitUpdate(u -> u.endpoints().size() == 4);
        assertHalves(mesh.picksPerZone(N), "z2", "z3");
    }

    @Test
    @DisplayName("kube-proxy with PreferClose hints: z1 only; z1 at zero leaves no endpoint hinted for z1, so every"
            + " ready endpoint in the cluster serves, r2 as much as r1 (pkg/proxy/topology.go has no region level)")
    void kubeProxyIgnoresHintsWhenZoneEmpties() throws Exception {
        mesh.putService(MeshApiServer.service("PreferClose", Map.of()));
        mesh.hintAll(true);
        mesh.start(mesh.sourceBuilder().proxy(CallerProxy.KUBE_PROXY));
        mesh.awaitUpdate(u -> true);
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("z1", N));

        mesh.putSlice(slice("z1"));
        mesh.awaitUpdate(u -> u.endpoints().size() == 4);
        assertHalves(mesh.picksPerZone(N), "z2", "z3");
    }

    // ---------------------------------------------------------------- (2) a pod terminating

    @Test
    @DisplayName("a terminating pod (ready=false, serving=true, terminating=true): the sidecar never gets it"
            + " (endpointslice.go endpointHealthStatus: Terminating; endpoint_builder.go filterIstioEndpoint drops it),"
            + " so z1's other pod takes all of z1's traffic; with both terminating, z2 takes over")
    void sidecarDropsTerminatingPods() throws Exception {
        mesh.start(mesh.sourceBuilder().destinationRule(
                DestinationRules.parse("reviews", RULE_WITH_OUTLIER_DETECTION).value()));
        mesh.awaitUpdate(u -> true);

        mesh.putSlice(slice("z1", pod("z1", 1, false, true, true), ready("z1", 2)));
        EndpointUpdate u = mesh.awaitUpdate(x -> x.assignment().hostCount() == 5);
        assertThat(u.assignment().excluded()).singleElement()
                .satisfies(x -> assertThat(x.reason()).startsWith("terminating"));
        assertThat(mesh.picksPerAddress(N)).containsExactly(Map.entry("10.1.0.2:8080", N));

        mesh.putSlice(slice("z1", pod("z1", 1, false, true, true), pod("z1", 2, false, true, true)));
        mesh.awaitUpdate(x -> x.assignment().hostCount() == 4);
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("z2", N));
    }

    @Test
    @DisplayName("a terminating pod and kube-proxy: unused while any endpoint is ready; when every pod is"
            + " serving-terminating, kube-proxy falls back to all of them (topology.go CategorizeEndpoints, KEP-1669)"
            + " where the sidecar has none")
    void kubeProxyFallsBackToServingTerminating() throws Exception {
        mesh.start(mesh.sourceBuilder().proxy(CallerProxy.KUBE_PROXY));
        mesh.awaitUpdate(u -> true);

        mesh.putSlice(slice("z1", pod("z1", 1, false, true, true), ready("z1", 2)));
        mesh.awaitUpdate(x -> x.assignment().hostCount() == 5);
        Map<String, Integer> picks = mesh.picksPerAddress(N);
        assertThat(picks).doesNotContainKey("10.1.0.1:8080").hasSize(5);
        assertThat(picks.values()).allSatisfy(n -> assertThat(n).isBetween(N / 5 - 120, N / 5 + 120));

        for (String zone : MeshApiServer.ZONES.keySet()) {
            mesh.putSlice(slice(zone, pod(zone, 1, false, true, true), pod(zone, 2, false, true, true)));
        }
        mesh.awaitUpdate(x -> x.endpoints().stream().allMatch(e -> !e.health().isHealthy()));
        assertThirds(mesh.picksPerZone(N));
    }

    @Test
    @DisplayName("every pod terminating: the sidecar has no endpoint at all, so a pick finds none")
    void sidecarHasNothingWhenEveryPodTerminates() throws Exception {
        mesh.start(mesh.sourceBuilder());
        mesh.awaitUpdate(u -> true);
        for (String zone : MeshApiServer.ZONES.keySet()) {
            mesh.putSlice(slice(zone, pod(zone, 1, false, true, true), pod(zone, 2, false, true, true)));
        }
        mesh.awaitUpdate(x -> x.assignment().hostCount() == 0 && x.endpoints().size() == 6);
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("none", N));
    }

    // ---------------------------------------------------------------- (3) trafficDistribution

    @Test
    @DisplayName("sidecar, no rule: trafficDistribution none, then PreferClose, then removed: thirds, then z1 alone"
            + " (Istio forces failoverPriority [network, region, zone] even without outlier detection, loadbalancer.go"
            + " GetLocalityLbSetting, and writes panic 0, applyLoadBalancer), then thirds again")
    void sidecarFollowsTrafficDistribution() throws Exception {
        mesh.start(mesh.sourceBuilder());
        EndpointUpdate none = mesh.awaitUpdate(u -> true);
        assertThat(none.lbConfig().panicThreshold()).isEqualTo(50.0);
        assertThirds(mesh.picksPerZone(N));

        mesh.putService(MeshApiServer.service("PreferClose", Map.of()));
        EndpointUpdate close = mesh.awaitUpdate(u -> u.assignment().priorities().size() == 3);
        assertThat(close.lbConfig().panicThreshold()).isZero();
        assertThat(close.outlierDetection()).isNull();
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("z1", N));

        mesh.putService(MeshApiServer.service(null, Map.of()));
        mesh.awaitUpdate(u -> u.assignment().priorities().size() == 1);
        assertThirds(mesh.picksPerZone(N));
    }

    @Test
    @DisplayName("kube-proxy: trafficDistribution none, then PreferClose, then removed moves picks only with the hints"
            + " the EndpointSlice controller writes (trafficdist.go preferCloseHeuristic): the field alone changes"
            + " nothing and is reported")
    void kubeProxyFollowsHints() throws Exception {
        mesh.start(mesh.sourceBuilder().proxy(CallerProxy.KUBE_PROXY));
        EndpointUpdate none = mesh.awaitUpdate(u -> true);
        assertThat(none.lbConfig().policy()).isEqualTo(dev.meridian.lb.LbPolicy.RANDOM);
        assertThirds(mesh.picksPerZone(N));

        mesh.putService(MeshApiServer.service("PreferClose", Map.of()));
        assertThat(mesh.awaitWarning("services/shop/reviews.spec.trafficDistribution").message())
                .contains("no ready endpoint carries a zone hint");
        assertThat(mesh.updates).isEmpty();
        assertThirds(mesh.picksPerZone(N));

        mesh.hintAll(true);
        mesh.awaitUpdate(u -> u.assignment().applied());
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("z1", N));

        // Removing the field: kube-proxy keeps following the hints until the controller removes them.
        mesh.putService(MeshApiServer.service(null, Map.of()));
        mesh.hintAll(false);
        mesh.awaitUpdate(u -> !u.assignment().applied());
        assertThirds(mesh.picksPerZone(N));
    }

    // ---------------------------------------------------------------- (4) a DestinationRule through the API

    @Test
    @DisplayName("a DestinationRule created through the API server turns outlier detection on, and with it failover"
            + " (z1 alone); deleting it turns both off (thirds)")
    void destinationRuleFromTheApiServer() throws Exception {
        mesh.start(mesh.sourceBuilder().watchDestinationRules(true));
        EndpointUpdate none = mesh.awaitUpdate(u -> true);
        assertThat(none.destinationRule()).isNull();
        assertThirds(mesh.picksPerZone(N));
        assertThat(mesh.cluster.detector()).isNull();

        mesh.putDestinationRule(RULE_WITH_OUTLIER_DETECTION);
        EndpointUpdate withRule = mesh.awaitUpdate(u -> u.outlierDetection() != null);
        assertThat(withRule.destinationRule().name()).isEqualTo("reviews");
        assertThat(withRule.lbConfig().panicThreshold()).isZero();
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("z1", N));
        assertThat(mesh.cluster.detector()).isNotNull();

        mesh.deleteDestinationRule("reviews");
        mesh.awaitUpdate(u -> u.outlierDetection() == null);
        assertThirds(mesh.picksPerZone(N));
        assertThat(mesh.cluster.detector()).isNull();
    }

    @Test
    @DisplayName("a rule for another host is not applied; a wildcard rule for the namespace is")
    void destinationRuleHostMatching() throws Exception {
        mesh.start(mesh.sourceBuilder().watchDestinationRules(true));
        mesh.awaitUpdate(u -> true);
        mesh.putDestinationRule(RULE_WITH_OUTLIER_DETECTION.replace("name: reviews", "name: ratings")
                .replace("host: reviews", "host: ratings"));
        mesh.putDestinationRule(RULE_WITH_OUTLIER_DETECTION.replace("name: reviews", "name: everything")
                .replace("host: reviews", "host: \"*.shop.svc.cluster.local\""));
        EndpointUpdate u = mesh.awaitUpdate(x -> x.destinationRule() != null);
        assertThat(u.destinationRule().name()).isEqualTo("everything");
    }

    // ---------------------------------------------------------------- (5) bad input

    @Test
    @DisplayName("an endpoint with no zone on a Node with no labels: locality unknown, as Istio's getPodLocality;"
            + " the sidecar ranks it with the other region and z1 keeps every pick")
    void unlabelledNodeSidecar() throws Exception {
        mesh.client.nodes().resource(MeshApiServer.node("node-virtual", Map.of())).create();
        mesh.putSlice(MeshApiServer.sliceNamed("reviews-virtual", new io.fabric8.kubernetes.api.model.discovery.v1
                .EndpointBuilder(pod("z1", 9, true, true, false)).withAddresses("10.9.0.1").withNodeName("node-virtual")
                .withZone(null).build()));
        mesh.start(mesh.sourceBuilder().destinationRule(
                DestinationRules.parse("reviews", RULE_WITH_OUTLIER_DETECTION).value()));
        EndpointUpdate u = mesh.awaitUpdate(x -> true);
        assertThat(mesh.awaitWarning("nodes/node-virtual").message()).contains("locality is unknown");
        assertThat(u.endpoints()).filteredOn(e -> e.host().equals("10.9.0.1")).singleElement()
                .satisfies(e -> assertThat(e.locality().isUnknown()).isTrue());
        assertThat(u.assignment().priorityOf("10.9.0.1:8080")).isEqualTo(u.assignment().priorityOf("10.3.0.1:8080"));
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("z1", N));
    }

    @Test
    @DisplayName("an endpoint with no zone and PreferClose: the controller writes it no hint, so kube-proxy ignores"
            + " every hint (topologyModeFromHints) and spreads over all seven endpoints")
    void missingZoneDisablesKubeProxyHints() throws Exception {
        mesh.client.nodes().resource(MeshApiServer.node("node-virtual", Map.of())).create();
        mesh.putService(MeshApiServer.service("PreferClose", Map.of()));
        mesh.hintAll(true);
        mesh.putSlice(MeshApiServer.sliceNamed("reviews-virtual", new io.fabric8.kubernetes.api.model.discovery.v1
                .EndpointBuilder(pod("z1", 9, true, true, false)).withAddresses("10.9.0.1").withNodeName("node-virtual")
                .withZone(null).build()));
        mesh.start(mesh.sourceBuilder().proxy(CallerProxy.KUBE_PROXY));
        EndpointUpdate u = mesh.awaitUpdate(x -> true);
        assertThat(u.assignment().reason()).contains("a ready endpoint has no zone hint");
        Map<String, Integer> picks = mesh.picksPerZone(7 * 500);
        assertThat(picks).containsOnlyKeys("", "z1", "z2", "z3");
        assertThat(picks.get("")).isBetween(400, 600);
        assertThat(picks.get("z1")).isBetween(850, 1150);
    }

    @Test
    @DisplayName("an invalid DestinationRule update: a warning naming the rule, and the last valid version stays in"
            + " force (Istio's webhook would have refused it)")
    void invalidDestinationRuleKeepsLastGood() throws Exception {
        mesh.putDestinationRule(RULE_WITH_OUTLIER_DETECTION);
        mesh.start(mesh.sourceBuilder().watchDestinationRules(true));
        EndpointUpdate good = mesh.awaitUpdate(u -> true);
        assertThat(good.outlierDetection()).isNotNull();

        mesh.putDestinationRule(RULE_WITH_OUTLIER_DETECTION.replace("interval: 10s", "interval: ten seconds"));
        KubernetesWarning w = mesh.awaitWarning("destinationrules/shop/reviews");
        assertThat(w.message()).contains("interval").contains("last valid version stays in force");
        // The warning comes from the recomputation the update caused; had it queued anything, the update
        // would have been reported before it.
        assertThat(mesh.updates).isEmpty();
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("z1", N));
        assertThat(mesh.cluster.detector()).isNotNull();
    }

    @Test
    @DisplayName("a Service without the port: a warning, and the last good state is kept")
    void missingPortKeepsLastGood() throws Exception {
        mesh.start(mesh.sourceBuilder());
        mesh.awaitUpdate(u -> true);
        mesh.putService(new io.fabric8.kubernetes.api.model.ServiceBuilder(MeshApiServer.service(null, Map.of()))
                .editSpec().editFirstPort().withName("grpc").endPort().endSpec().build());
        assertThat(mesh.awaitWarning("services/shop/reviews.spec.ports").message()).contains("'http'");
        assertThat(mesh.updates).isEmpty();
        assertThirds(mesh.picksPerZone(N));
    }

    @Test
    @DisplayName("a listener that throws on every update and warning stops nothing: each change is still queued,"
            + " and a later change still reaches the cluster")
    void aListenerThatThrowsStopsNothing() throws Exception {
        mesh.listenerThrows = true;
        KubernetesEndpointSource source = mesh.start(mesh.sourceBuilder());
        EndpointUpdate first = mesh.awaitUpdate(u -> true);
        assertThirds(mesh.picksPerZone(N));

        mesh.putService(new io.fabric8.kubernetes.api.model.ServiceBuilder(MeshApiServer.service(null, Map.of()))
                .editSpec().editFirstPort().withName("grpc").endPort().endSpec().build());
        mesh.awaitWarning("services/shop/reviews.spec.ports");
        mesh.putService(MeshApiServer.service(null, Map.of()));
        mesh.putSlice(slice("z1"));
        EndpointUpdate later = mesh.awaitUpdate(u -> u.endpoints().size() == 4);
        assertThat(later.sequence()).isEqualTo(first.sequence() + 1);
        assertThat(source.lastUpdate()).isSameAs(later);
        assertHalves(mesh.picksPerZone(N), "z2", "z3");
    }

    @Test
    @DisplayName("the API server goes away: fabric8 keeps reconnecting, the source says it is not watching, the last"
            + " good state stays and nothing is queued; closing it then stops cleanly")
    void apiServerGoesAway() throws Exception {
        KubernetesEndpointSource source = mesh.start(mesh.sourceBuilder().destinationRule(
                DestinationRules.parse("reviews", RULE_WITH_OUTLIER_DETECTION).value()));
        EndpointUpdate before = mesh.awaitUpdate(u -> true);
        assertThat(source.isWatching()).isTrue();
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("z1", N));
        long publications = mesh.cluster.publications();

        mesh.stopServer();
        // A watch reconnecting to the stopped server fails to connect (StandardHttpClient reports it to the
        // client's interceptors); the informer keeps retrying and tells no handler.
        mesh.awaitConnectionFailure("watch=true");
        assertThat(source.isWatching()).isFalse();
        assertThat(mesh.updates).isEmpty();
        assertThat(mesh.picksPerZone(N)).containsExactly(Map.entry("z1", N));
        assertThat(mesh.cluster.publications()).isEqualTo(publications);
        assertThat(source.lastUpdate()).isSameAs(before);
        source.close();
        assertThat(source.isWatching()).isFalse();
    }

    // ---------------------------------------------------------------- (6) listener-only mode, default port

    @Test
    @DisplayName("without a target only the listener hears each update (the table, balancing and outlier detection a"
            + " cluster would be sent) and nothing is queued; without a port the Service's only port is used")
    void listenerOnlyModeWithTheOnlyPort() throws Exception {
        mesh.startWithoutTarget(mesh.sourceBuilder().destinationRule(
                DestinationRules.parse("reviews", RULE_WITH_OUTLIER_DETECTION).value()));
        EndpointUpdate first = mesh.awaitUpdate(u -> true);
        assertThat(first.assignment().priorityOf("10.1.0.1:8080")).isZero();
        assertThat(first.assignment().priorityOf("10.2.0.1:8080")).isEqualTo(1);
        assertThat(first.outlierDetection()).isNotNull();
        assertThat(first.lbConfig().panicThreshold()).isZero();
        assertThat(mesh.cluster.drain()).as("nothing queued on any cluster").isZero();

        mesh.putSlice(slice("z1"));
        EndpointUpdate second = mesh.awaitUpdate(u -> u.endpoints().size() == 4);
        assertThat(second.assignment().priorityOf("10.2.0.1:8080")).isZero();
        assertThat(mesh.cluster.drain()).isZero();
    }

    @Test
    @DisplayName("without a port and a Service with two: a warning naming them, and no update until one is named")
    void noPortAndSeveralIsReported() throws Exception {
        mesh.putService(new io.fabric8.kubernetes.api.model.ServiceBuilder(MeshApiServer.service(null, Map.of()))
                .editSpec().addNewPort().withName("grpc").withPort(9090).withNewTargetPort(8090).endPort().endSpec()
                .build());
        mesh.startWithoutTarget(mesh.sourceBuilder());
        assertThat(mesh.awaitWarning("services/shop/reviews.spec.ports").message())
                .contains("no port was named and the Service has several").contains("http=9080").contains("grpc=9090");
        assertThat(mesh.updates).isEmpty();
    }

    @Test
    @DisplayName("neither a target nor a listener: refused, as nothing would hear the updates")
    void targetOrListenerIsRequired() {
        assertThatThrownBy(() -> mesh.sourceBuilder().service("shop", "reviews").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("target: required when no listener takes the updates, got neither");
    }
}
