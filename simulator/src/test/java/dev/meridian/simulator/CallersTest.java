package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Endpoint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Several callers, each its own sidecar: its own proximity priorities (Istio
 * {@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go}, applyLocalityFailover) and its own
 * outlier detector (one Envoy per pod, {@code source/common/upstream/outlier_detection_impl.cc}).
 */
@DisplayName("callers in two regions see their own priorities and eject on their own (Istio applyLocalityFailover)")
class CallersTest {

    static Scenario twoRegions() {
        String text = Runs.builtInText("cross-region");
        String simulation = text.substring(text.indexOf("simulation:"));
        String replaced = """
                simulation:
                  duration: 3m30s
                  rate: 200
                  seed: 3
                  callers:
                    - {locality: r1/z1, share: 3}
                    - {name: in-r2, locality: r2/z1, share: 1}
                  faults:
                    - {at: 1m, fail: {region: r1}, error: connect-failure}
                    - {at: 2m30s, remove: {region: r2}}
                """;
        return Scenarios.parse("two-regions.yaml", text.replace(simulation, replaced));
    }

    @Test
    void eachCallerFailsOverOnItsOwn() {
        SimulationResult r = Runs.run(twoRegions());
        List<Endpoint> eps = r.endpoints();
        assertThat(r.spec().callers()).extracting(SimulationSpec.CallerSpec::name).containsExactly("r1/z1", "in-r2");

        // Healthy: r1's caller stays in r1, r2's caller in r2, so v3 gets about the r2 caller's quarter.
        SimulationResult.Phase healthy = r.phases().get(0);
        assertThat(healthy.versionShare(eps, "v3")).isBetween(0.22, 0.28);
        assertThat(healthy.byPriority()).containsOnlyKeys(0, 1);
        assertThat(healthy.priorityRequests()[1]).isZero();

        // r1 refuses connections: the caller that sends there ejects r1 within a fraction of a second;
        // the caller in r2 sends nothing there, so its own detector keeps r1 in service.
        long second = 1_000_000_000L;
        SimulationResult.FaultResult fail = r.faults().get(0);
        SimulationResult.Outcome near = fail.outcomes().get(0);
        SimulationResult.Outcome far = fail.outcomes().get(1);
        assertThat(near.settledNanos()).isBetween(1L, second);
        assertThat(near.errors()).isBetween(10L, 20L);
        assertThat(r.events()).filteredOn(e -> e.atNanos() < 150 * second)
                .hasSize(2).allSatisfy(e -> assertThat(e.caller()).isZero());
        assertThat(r.phases().get(1).versionShare(eps, "v3")).isGreaterThan(0.99);

        // r2 scaled to zero: r1 is now the r2 caller's only choice, and its own detector ejects r1 only
        // then, after its own 2 x 5 connect failures. The first caller has nothing left at all.
        assertThat(far.settledNanos()).isBetween(90 * second, 91 * second);
        assertThat(r.events()).filteredOn(e -> e.caller() == 1).hasSize(2)
                .allSatisfy(e -> assertThat(e.atNanos()).isBetween(150 * second, 151 * second));
        SimulationResult.Phase last = r.phases().get(2);
        assertThat(last.noEndpoint()).isGreaterThan(last.requests() * 99 / 100);
        assertThat(last.errorRate()).isEqualTo(1.0);
    }

    @Test
    void reportsNameTheCallers() {
        SimulationResult r = Runs.run(twoRegions());
        String text = TextReport.render(r, false);
        assertThat(text).contains("callers r1/z1 (75.0%), in-r2 (25.0%) at r2/z1",
                "failover for r1/z1: after", "failover for in-r2: after 1m30", " by in-r2 until ");
        Map<String, Object> json = Runs.json(JsonReport.render(r));
        assertThat(CrossRegionStoryTest.list(json.get("callers"))).extracting(c -> c.get("name"))
                .containsExactly("r1/z1", "in-r2");
    }
}
