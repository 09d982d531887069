package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Endpoint;
import dev.meridian.core.Clocks;
import dev.meridian.core.RandomSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The built-in {@code prefer-same-zone} scenario: a Service with {@code trafficDistribution:
 * PreferSameZone} and no outlier detection. Istio 1.30.3 {@code loadbalancer.go}
 * {@code GetLocalityLbSetting} forces {@code failoverPriority} [network, region, zone], applied without
 * outlier detection; {@code SupportsUnhealthyEndpoints} makes {@code filterIstioEndpoint} send the
 * not-ready endpoint as UNHEALTHY and drop the terminating one, and {@code applyLoadBalancer} writes
 * panic threshold 0. Envoy's {@code load_balancer_impl.cc} {@code recalculatePerPriorityState}: P0
 * health min(100, 140 x 1/2) = 70, so P0 takes 70% and P1 the remaining 30%.
 */
@DisplayName("prefer-same-zone story (Istio GetLocalityLbSetting, filterIstioEndpoint; Envoy recalculatePerPriorityState)")
class PreferSameZoneStoryTest {

    @Test
    @DisplayName("the decision: z1 70% (one of two ready), z2 30%, r2 0%, terminating dropped, panic 0")
    void theDecision() {
        Scenario s = Scenarios.load("prefer-same-zone");
        MeshClient c = s.newClient(s.caller(), s.endpoints(), Clocks.manual(), RandomSource.seeded(1));
        assertThat(c.assignment().mode()).isEqualTo("failoverPriority");
        assertThat(c.plan().panicThreshold()).isZero();
        assertThat(c.plan().priorities()).extracting(p -> p.healthyLoad()).containsExactly(70, 30, 0);
        assertThat(c.assignment().excluded()).singleElement()
                .satisfies(x -> assertThat(x.endpoint().address()).isEqualTo("10.2.3.32:9080"));
        assertThat(c.detector()).isNull();
        assertThat(s.warnings()).anyMatch(w -> w.startsWith("panicThreshold: Istio writes healthy_panic_threshold 0"));
    }

    @Test
    @DisplayName("the story: same zone, then the region when z1 has no healthy endpoint, then r2, with no outlier detection")
    void theStory() {
        SimulationResult r = Runs.run(Scenarios.load("prefer-same-zone"));
        List<Endpoint> eps = r.endpoints();
        Map<String, Long> start = r.phases().get(0).byLocality(eps);
        long total = r.phases().get(0).requests();
        assertThat((double) start.get("r1/z1") / total).isBetween(0.67, 0.73);
        assertThat((double) start.get("r1/z2") / total).isBetween(0.27, 0.33);
        assertThat(start.get("r2/z3")).isZero();
        Map<String, Long> zoneGone = r.phases().get(1).byLocality(eps);
        assertThat(zoneGone.get("r1/z1")).isZero();
        assertThat(zoneGone.get("r1/z2")).isEqualTo(r.phases().get(1).requests());
        Map<String, Long> regionGone = r.phases().get(2).byLocality(eps);
        assertThat(regionGone.get("r2/z3")).isEqualTo(r.phases().get(2).requests());
        Map<String, Long> back = r.phases().get(3).byLocality(eps);
        assertThat(back.get("r2/z3")).isZero();
        assertThat(r.phases()).allSatisfy(p -> assertThat(p.errors()).isZero());
    }

    @Test
    @DisplayName("the same Service for a kube-proxy caller: z1's one ready endpoint only, no spill to the region")
    void kubeProxyCaller() {
        String yaml = Runs.builtInText("prefer-same-zone").replace("caller:\n  locality: r1/z1\n",
                "caller:\n  locality: r1/z1\n  mode: kube-proxy\n");
        Scenario s = Scenarios.parse("prefer-same-zone (kube-proxy)", yaml);
        MeshClient c = s.newClient(s.caller(), s.endpoints(), Clocks.manual(), RandomSource.seeded(1));
        assertThat(c.assignment().mode()).isEqualTo("kube-proxy");
        assertThat(c.table().size()).isEqualTo(1);
        assertThat(c.table().endpoint(0).address()).isEqualTo("10.1.1.11:9080");
        assertThat(s.warnings()).anyMatch(w -> w.startsWith("caller.mode: kube-proxy"));
        // z1's ready endpoint gone: kube-proxy has no region level, so z2 and r2 share the traffic evenly.
        SimulationResult r = Runs.run(s);
        Map<String, Long> zoneGone = r.phases().get(1).byLocality(r.endpoints());
        long n = r.phases().get(1).requests();
        assertThat((double) zoneGone.get("r2/z3") / n).isBetween(0.28, 0.39);
        assertThat((double) zoneGone.get("r1/z2") / n).isBetween(0.61, 0.72);
    }
}
