package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Endpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The story of scenario 2 (../shared/scenarios.md), phase by phase, on the built-in cross-region
 * traffic and faults: r1 fails with 503 at 5m, heals at 9m, is scaled to zero at 20m and back at 30m.
 *
 * <p>The rule's outlier settings decide the bounds: current Istio ignores the legacy
 * {@code consecutiveErrors: 5} ({@code pilot/pkg/networking/core/cluster_traffic_policy.go}
 * {@code applyOutlierDetection}; istio/istio#24087 removed the gateway mapping in 1.7), so Envoy's
 * default {@code consecutive_5xx: 5} at enforcement 100 ejects, and a 503 is a 5xx: Envoy ejects on
 * the 503 that completes the run ({@code source/common/upstream/outlier_detection_impl.cc},
 * {@code putHttpResponseCode} then {@code ejectHost}), not at the {@code interval} sweep. Returns
 * happen only at sweeps ({@code onIntervalTimer}, {@code checkHostForUneject}), once
 * {@code min(baseEjectionTime × multiplier, max_ejection_time)} has passed; the sweep timer starts
 * with the detector, so sweeps fall on multiples of the 2m interval. With Istio's panic threshold 0
 * (minHealthPercent unset), an ejected priority's load spills to the next one
 * ({@code source/common/upstream/load_balancer_impl.cc}, {@code recalculatePerPriorityState}).
 */
@DisplayName("cross-region story (Envoy outlier_detection_impl.cc, load_balancer_impl.cc; Istio applyOutlierDetection)")
class CrossRegionStoryTest {
    static final long SECOND = 1_000_000_000L;
    static final long MINUTE = 60 * SECOND;
    static final long INTERVAL = 2 * MINUTE;
    static final long BASE_EJECTION = 5 * MINUTE;

    static SimulationResult story;
    static List<Endpoint> endpoints;

    @BeforeAll
    static void runTheStory() {
        story = Runs.run(Runs.crossRegionEjectingAll());
        endpoints = story.endpoints();
        assertThat(story.phases()).extracting(SimulationResult.Phase::startNanos)
                .containsExactly(0L, 5 * MINUTE, 9 * MINUTE, 20 * MINUTE, 30 * MINUTE);
    }

    static SimulationResult.Phase phase(int index) {
        return story.phases().get(index);
    }

    @Test
    void whileR1IsHealthyV3GetsNoTraffic() {
        SimulationResult.Phase healthy = phase(0);
        assertThat(healthy.versionRequests(endpoints, "v3")).isZero();
        assertThat(healthy.errors()).isZero();
        // v1 and v2 share priority 0 (both in the caller's zone); least request splits them about evenly.
        assertThat(healthy.versionShare(endpoints, "v1")).isBetween(0.45, 0.55);
        assertThat(healthy.versionShare(endpoints, "v2")).isBetween(0.45, 0.55);
    }

    @Test
    @DisplayName("after r1 starts failing, v3 takes the traffic within 1s: 2 hosts x 5 consecutive 5xx (503) at 100 requests/s")
    void afterR1StartsFailingV3TakesTheTrafficWithinTheConsecutiveErrorBound() {
        SimulationResult.FaultResult fail = story.faults().get(0);
        assertThat(fail.fault().action()).isEqualTo(SimulationSpec.Action.FAIL);
        SimulationResult.Outcome failover = fail.outcomes().get(0);
        // Both r1 hosts leave after 5 consecutive 503s each: about 10 requests, 0.1s at 100 requests/s plus
        // one response time. 1s leaves room for the gaps of Poisson arrivals; the 2m interval plays no part.
        assertThat(failover.settled()).isTrue();
        assertThat(failover.settledNanos()).isBetween(1L, SECOND);
        // The 10 errors that complete the two runs, plus any requests already on their way to r1.
        assertThat(failover.errors()).isBetween(10L, 20L);
        List<SimulationResult.Event> ejections = story.events().stream()
                .filter(e -> e.type() == SimulationResult.EventType.EJECTED).toList();
        assertThat(ejections).hasSize(2).allSatisfy(e -> {
            assertThat(e.atNanos()).isBetween(5 * MINUTE, 5 * MINUTE + SECOND);
            assertThat(e.untilNanos()).isEqualTo(e.atNanos() + BASE_EJECTION);
        });
        assertThat(phase(1).versionShare(endpoints, "v3")).isGreaterThan(0.99);
    }

    @Test
    @DisplayName("after r1 heals, its hosts return at the first 2m sweep after their 5m ejection, and traffic with them")
    void afterR1HealsTrafficReturnsWhenTheEjectionsEnd() {
        List<SimulationResult.Event> returns = story.events().stream()
                .filter(e -> e.type() == SimulationResult.EventType.RETURNED).toList();
        assertThat(returns).hasSize(2);
        for (SimulationResult.Event back : returns) {
            SimulationResult.Event ejection = story.events().stream()
                    .filter(e -> e.endpoint() == back.endpoint() && e.type() == SimulationResult.EventType.EJECTED)
                    .findFirst().orElseThrow();
            long may = ejection.atNanos() + BASE_EJECTION;
            assertThat(back.atNanos()).isBetween(may, may + INTERVAL);
            assertThat(back.atNanos() % INTERVAL).as("returns happen at sweeps").isZero();
        }
        // Ejected just after 5m for 5m, so eligible just after 10m: the 10m sweep is too early, the 12m one is not.
        long returnedAt = 12 * MINUTE;
        assertThat(returns).allSatisfy(e -> assertThat(e.atNanos()).isEqualTo(returnedAt));
        SimulationResult.Outcome back = story.faults().get(1).outcomes().get(0);
        assertThat(back.settledNanos()).isEqualTo(returnedAt - 9 * MINUTE);
        assertThat(back.firstRequestNanos()).isBetween(returnedAt - 9 * MINUTE, returnedAt - 9 * MINUTE + SECOND);

        SimulationResult.Buckets b = story.buckets();
        long v3BeforeReturn = 0;
        long r1BeforeReturn = 0;
        long v3AfterReturn = 0;
        long r1AfterReturn = 0;
        for (int i = b.bucketAt(9 * MINUTE); i < b.bucketAt(20 * MINUTE); i++) {
            for (int e = 0; e < endpoints.size(); e++) {
                boolean v3 = SimulationResult.version(endpoints.get(e)).equals("v3");
                if (b.startNanos(i) < returnedAt) {
                    v3BeforeReturn += v3 ? b.requests(i, e) : 0;
                    r1BeforeReturn += v3 ? 0 : b.requests(i, e);
                } else {
                    v3AfterReturn += v3 ? b.requests(i, e) : 0;
                    r1AfterReturn += v3 ? 0 : b.requests(i, e);
                }
            }
        }
        assertThat(r1BeforeReturn).as("healed but still ejected: r1 gets nothing until 12m").isZero();
        assertThat(v3BeforeReturn).isPositive();
        assertThat(v3AfterReturn).as("back at 12m: v3 gets nothing").isZero();
        assertThat(r1AfterReturn).isPositive();
    }

    @Test
    void onScaleToZeroV3TakesTheTrafficAtOnceWithNoErrors() {
        SimulationResult.Outcome failover = story.faults().get(2).outcomes().get(0);
        assertThat(story.faults().get(2).fault().action()).isEqualTo(SimulationSpec.Action.REMOVE);
        assertThat(failover.settledNanos()).isZero();
        assertThat(failover.errors()).isZero();
        assertThat(phase(3).errors()).isZero();
        assertThat(phase(3).versionShare(endpoints, "v3")).isEqualTo(1.0);
        assertThat(phase(3).ejections()).isZero();
    }

    @Test
    void whenR1IsScaledBackTrafficReturnsToIt() {
        SimulationResult.Outcome back = story.faults().get(3).outcomes().get(0);
        assertThat(back.settledNanos()).isZero();
        assertThat(phase(4).versionRequests(endpoints, "v3")).isZero();
        assertThat(phase(4).errors()).isZero();
    }

    @Test
    @DisplayName("the --json summary tells the same story, phase by phase")
    void theJsonSummaryTellsTheSameStory(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("cross-region-100.yaml");
        Files.writeString(file, Runs.builtInText("cross-region"));
        Map<String, Object> json = Runs.json(JsonReport.render(Runs.run(Scenarios.load(file.toString()))));
        List<Map<String, Object>> phases = list(json.get("phases"));
        assertThat(phases).hasSize(5);
        assertThat(v3Share(phases.get(0))).isZero();
        assertThat(v3Share(phases.get(1))).isGreaterThan(0.99);
        assertThat(v3Share(phases.get(2))).isBetween(0.2, 0.35);
        assertThat(v3Share(phases.get(3))).isEqualTo(1.0);
        assertThat(v3Share(phases.get(4))).isZero();
        Map<String, Object> failover = list(list(json.get("faults")).get(0).get("outcomes")).get(0);
        assertThat(failover.get("measure")).isEqualTo("failover");
        assertThat(((Number) failover.get("settledSeconds")).doubleValue()).isBetween(0.001, 1.0);
        assertThat(((Number) list(list(json.get("faults")).get(2).get("outcomes")).get(0).get("errors")).longValue())
                .isZero();
    }

    @Test
    @DisplayName("with maxEjectionPercent unset (Envoy's 10%), none of 3 hosts can be ejected: ejectHost's cap")
    void asWrittenNoHostCanBeEjected() {
        // outlier_detection_impl.cc ejectHost: ejected_percent = 100 * (ejected + 1) / hosts must not exceed
        // max_ejection_percent (always_eject_one_host defaults to false); 33% > 10%, so r1's hosts keep
        // their traffic and fail every request. The simulator shows that faithfully, and says why.
        SimulationResult shipped = Runs.run(Runs.crossRegionAsWritten());
        assertThat(shipped.events()).isEmpty();
        SimulationResult.Phase failing = shipped.phases().get(1);
        assertThat(failing.errorRate()).isEqualTo(1.0);
        assertThat(failing.versionRequests(shipped.endpoints(), "v3")).isZero();
        assertThat(shipped.faults().get(0).outcomes().get(0).settled()).isFalse();
        assertThat(shipped.notes()).anyMatch(n -> n.contains("maxEjectionPercent is absent"));
    }

    private static double v3Share(Map<String, Object> phase) {
        Map<String, Object> versions = map(phase.get("versions"));
        return ((Number) map(versions.get("v3")).get("share")).doubleValue();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object o) {
        return (List<Map<String, Object>>) o;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @Test
    void theStoryHoldsUnderAnotherSeed() {
        SimulationResult other = Runs.run(Runs.crossRegionEjectingAll(), 99);
        List<dev.meridian.core.Endpoint> eps = other.endpoints();
        assertThat(other.phases().get(0).versionRequests(eps, "v3")).isZero();
        assertThat(other.phases().get(1).versionShare(eps, "v3")).isGreaterThan(0.99);
        assertThat(other.faults().get(0).outcomes().get(0).settledNanos()).isBetween(1L, 1_000_000_000L);
        assertThat(other.phases().get(3).errors()).isZero();
        assertThat(other.phases().get(4).versionRequests(eps, "v3")).isZero();
        assertThat(other.requests()).isNotEqualTo(Runs.run(Runs.crossRegionEjectingAll()).requests());
    }
}
