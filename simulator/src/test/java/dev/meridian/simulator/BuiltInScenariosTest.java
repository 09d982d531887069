package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Endpoint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What each built-in scenario besides cross-region shows (docs/scenarios.md says the same in words). */
class BuiltInScenariosTest {

    @Test
    @DisplayName("cross-region-no-outlier: Istio applies locality failover only with outlier detection, so all three rotate")
    void withoutOutlierDetectionEachVersionGetsAboutAThird() {
        // Istio pilot/pkg/networking/core/loadbalancer/loadbalancer.go: failover priorities need outlier detection.
        SimulationResult r = Runs.run(Scenarios.load("cross-region-no-outlier"));
        List<Endpoint> eps = r.endpoints();
        SimulationResult.Phase healthy = r.phases().get(0);
        for (String v : List.of("v1", "v2", "v3")) {
            assertThat(healthy.versionShare(eps, v)).as(v).isBetween(0.30, 0.37);
        }
        assertThat(healthy.byPriority()).containsOnlyKeys(0);
        assertThat(r.notes()).anyMatch(n -> n.startsWith("priorities: locality failover needs outlier detection"));
        // No detector: r1's two versions keep their two thirds while they fail.
        SimulationResult.Phase failing = r.phases().get(1);
        assertThat(failing.errorRate()).isBetween(0.60, 0.73);
        assertThat(r.events()).isEmpty();
    }

    @Test
    @DisplayName("bookinfo-multicluster: round robin over v1, v2, v3, slow or not")
    void roundRobinRotatesOverTheThreeVersionsWhateverTheirLatency() {
        SimulationResult r = Runs.run(Scenarios.load("bookinfo-multicluster"));
        for (SimulationResult.Phase p : r.phases()) {
            Map<String, Long> byVersion = p.byVersion(r.endpoints());
            long min = byVersion.values().stream().mapToLong(Long::longValue).min().orElseThrow();
            long max = byVersion.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            // Envoy's round robin over equal weights: the counts differ by at most one.
            assertThat(max - min).as(p.label()).isLessThanOrEqualTo(1);
        }
        assertThat(r.phases().get(1).p99Nanos()).isGreaterThan(3 * r.phases().get(0).p99Nanos());
    }

    @Test
    @DisplayName("zone-outage: one of three zones fails, traffic stays in the caller's region")
    void aZoneOutageKeepsTrafficInTheRegion() {
        SimulationResult r = Runs.run(Scenarios.load("zone-outage"));
        SimulationResult.Phase healthy = r.phases().get(0);
        SimulationResult.Phase outage = r.phases().get(1);
        assertThat(healthy.byLocality(r.endpoints())).containsEntry("r1/z1", healthy.requests());
        Map<String, Long> during = outage.byLocality(r.endpoints());
        assertThat(during.get("r2/z1")).isZero();
        assertThat(during.get("r1/z2") + during.get("r1/z3")).isGreaterThan(outage.requests() * 99 / 100);
        assertThat(r.faults().get(0).outcomes().get(0).settledNanos()).isBetween(1L, 1_000_000_000L);
        // A host that returns while its zone still fails is ejected again, for longer each time
        // (outlier_detection_impl.cc: the ejection multiplier grows with each ejection).
        List<SimulationResult.Event> ejections = r.events().stream()
                .filter(e -> e.type() == SimulationResult.EventType.EJECTED && e.endpoint() == 0).toList();
        assertThat(ejections).hasSizeGreaterThanOrEqualTo(3);
        for (int i = 1; i < ejections.size(); i++) {
            SimulationResult.Event before = ejections.get(i - 1);
            SimulationResult.Event now = ejections.get(i);
            assertThat(now.untilNanos() - now.atNanos()).isGreaterThan(before.untilNanos() - before.atNanos());
        }
    }

    @Test
    @DisplayName("virtual-nodes: endpoints with missing locality fields are kept and take traffic in their turn")
    void endpointsWithMissingLocalityFieldsTakeTrafficInTheirTurn() {
        SimulationResult r = Runs.run(Scenarios.load("virtual-nodes"));
        List<Endpoint> eps = r.endpoints();
        assertThat(eps).hasSize(4);
        // Zone failed: the region-only virtual pod is next.
        Map<String, Long> zoneFailed = r.phases().get(1).byLocality(eps);
        assertThat(zoneFailed.get("r1")).isGreaterThan(r.phases().get(1).requests() * 99 / 100);
        // Virtual pod drained too: the pod with no locality at all shares the last priority with r2.
        Map<String, Long> drained = r.phases().get(2).byLocality(eps);
        assertThat(drained.get(SimulationResult.NO_LOCALITY)).isPositive();
        assertThat(drained.get("r2/z1")).isPositive();
        assertThat(drained.get("r1")).isZero();
    }
}
