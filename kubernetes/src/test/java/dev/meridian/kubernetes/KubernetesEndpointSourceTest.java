package dev.meridian.kubernetes;

import static dev.meridian.kubernetes.MeshApiServer.pod;
import static dev.meridian.kubernetes.MeshApiServer.ready;
import static dev.meridian.kubernetes.MeshApiServer.slice;
import static org.assertj.core.api.Assertions.assertThat;

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
}
