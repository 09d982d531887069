package dev.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.Clocks;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.LoadPlan;
import dev.meridian.lb.PriorityPlan;
import dev.meridian.simulator.MeshClient;
import dev.meridian.simulator.Scenario;
import dev.meridian.simulator.Scenarios;
import dev.meridian.topology.Priority;
import dev.meridian.topology.PriorityAssignment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {

    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static MeshClient client(String scenarioName) {
        Scenario s = Scenarios.load(scenarioName);
        return s.newClient(s.caller(), s.endpoints(), Clocks.manual(), RandomSource.seeded(1));
    }

    private static List<String> versions(Priority p) {
        return p.endpoints().stream().map(e -> e.labels().get("version")).sorted().toList();
    }

    @Test
    void crossRegionKeepsTrafficInTheCallersRegion() {
        // Scenario 2 of the mesh scenarios: Istio's default proximity priorities apply because the
        // DestinationRule has outlier detection (pilot/pkg/networking/core/loadbalancer/loadbalancer.go).
        MeshClient c = client("cross-region");
        PriorityAssignment a = c.assignment();
        assertThat(a.applied()).isTrue();
        assertThat(a.priorities()).hasSize(2);
        assertThat(versions(a.priorities().get(0))).containsExactly("v1", "v2");
        assertThat(versions(a.priorities().get(1))).containsExactly("v3");
        LoadPlan plan = c.plan();
        assertThat(plan.priorities().get(0).healthyLoad()).isEqualTo(100);
        assertThat(plan.priorities().get(1).healthyLoad()).isZero();
        // Istio writes healthy_panic_threshold = minHealthPercent (default 0) with outlier detection,
        // and LEAST_REQUEST is its default policy (cluster_traffic_policy.go).
        assertThat(plan.panicThreshold()).isZero();
        assertThat(plan.policy()).isEqualTo(LbPolicy.LEAST_REQUEST);
    }

    @Test
    void withoutOutlierDetectionLocalityFailoverIsNotApplied() {
        MeshClient c = client("cross-region-no-outlier");
        PriorityAssignment a = c.assignment();
        assertThat(a.applied()).isFalse();
        assertThat(a.reason()).contains("outlier detection");
        assertThat(a.priorities()).hasSize(1);
        assertThat(versions(a.priorities().get(0))).containsExactly("v1", "v2", "v3");
        // Without outlier detection Envoy's default panic threshold of 50% stands.
        assertThat(c.plan().panicThreshold()).isEqualTo(50.0);
    }

    @Test
    void planPrintsTheDecisionAsJson() {
        Run r = run("plan", "cross-region");
        assertThat(r.status()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("{").contains("\"scenario\": \"cross-region\"")
                .contains("\"applied\": true").contains("\"healthyLoad\": 100")
                .contains("\"address\": \"10.2.0.13:9080\"")
                .contains("consecutiveErrors");  // the deprecation warning for the legacy field
        PriorityPlan p0 = client("cross-region").plan().priorities().get(0);
        assertThat(p0.hosts()).isEqualTo(2);
    }

    @Test
    @DisplayName("a scenario's spill: section shows in the plan with the state at rest, which a static plan has")
    void planShowsSpillOver(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("spill.yaml");
        Files.writeString(file, Runs.builtInText("cross-region")
                + "spill: {hostCapacity: 8, localityCapacity: {r2/z1: 20}}\n");
        Run r = run("plan", file.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("""
                  "spill": {
                    "spillThreshold": 0.8,
                    "releaseThreshold": 0.6,
                    "hostCapacity": 8,
                    "localityCapacity": {
                      "r2/z1": 20
                    },
                    "smoothingSeconds": 2,
                    "evaluationIntervalSeconds": 0.5,
                    "capacity": 16,
                    "targetPriority": 1,
                    "active": false,
                    "fraction": 0,
                    "utilization": 0,
                    "demand": 0,
                    "sinceSeconds": 0,
                    "predicted": {
                      "callers": 1,
                      "requestsPerSecond": 100,
                      "meanLatencySeconds": 0.009401,
                      "inFlight": 0.9401,
                      "demand": 0.0588,
                      "active": false,
                      "fraction": 0,
                      "localRequestsPerSecond": 100,
                      "spilledRequestsPerSecond": 0
                    }
                  },
                """);
        // Predicted from cross-region's simulation: section: 100 requests/s to r1/z1's hosts at {p50: 8ms,
        // p99: 30ms}, a log-normal of mean 8 ms x e^(0.568^2 / 2) = 9.4 ms, is 0.94 in flight of 16: far from spilling.
        assertThat(run("plan", "cross-region").out()).contains("\"spill\": null");
    }

    @Test
    @DisplayName("zone-overload-spill's plan shows the rule at rest and the load the scenario's traffic offers it")
    void planPredictsTheSpillOfZoneOverloadSpill(@TempDir Path dir) throws IOException {
        Run r = run("plan", "zone-overload-spill");
        assertThat(r.status()).as(r.err()).isZero();
        Map<String, Object> spill = Runs.map(Runs.json(r.out()).get("spill"));
        // At rest: a static plan has nothing in flight.
        assertThat(spill).containsEntry("active", false).containsEntry("demand", 0).containsEntry("capacity", 1.6);
        // Each of the 10 callers: 720 / 10 = 72 requests/s x 23.9 ms = 1.72 in flight over 2 hosts x 0.8 = 1.6;
        // 1.075 is above the spill threshold, and the rule would hold the zone at 0.6: 1 - 0.6 / 1.075 = 0.442.
        Map<String, Object> predicted = Runs.map(spill.get("predicted"));
        assertThat(predicted).containsEntry("callers", 10).containsEntry("requestsPerSecond", 72)
                .containsEntry("active", true);
        assertThat(((Number) predicted.get("demand")).doubleValue()).isCloseTo(1.075, within(0.001));
        assertThat(((Number) predicted.get("fraction")).doubleValue()).isCloseTo(0.442, within(0.001));
        assertThat(((Number) predicted.get("spilledRequestsPerSecond")).doubleValue()).isCloseTo(31.8, within(0.1));
        // A scenario whose simulation has no caller like the plan's has no prediction.
        String other = Runs.builtInText("zone-overload-spill").replace("{name: productpage, locality: r1/z1, count: 10}",
                "{name: productpage, locality: r1/z2, count: 10}");
        Path file = dir.resolve("elsewhere.yaml");
        Files.writeString(file, other);
        Run elsewhere = run("plan", file.toString());
        assertThat(elsewhere.status()).as(elsewhere.err()).isZero();
        assertThat(Runs.map(Runs.json(elsewhere.out()).get("spill"))).containsEntry("predicted", null);
    }

    @Test
    void planWithoutOutlierSaysWhy() {
        Run r = run("plan", "cross-region-no-outlier");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("\"applied\": false").contains("outlier detection");
    }

    @Test
    void pinnedSubsetSendsEverythingToItsEndpoints(@TempDir Path dir) throws IOException {
        // Scenario 1: a routing rule that pins v3 sends all traffic to cluster B whatever the localities say.
        String yaml = Runs.builtInText("bookinfo-multicluster")
                .replace("name: bookinfo-multicluster", "name: pinned\nsubset: v3");
        Path f = dir.resolve("pinned.yaml");
        Files.writeString(f, yaml);
        Scenario s = Scenarios.load(f.toString());
        assertThat(s.endpoints()).extracting(e -> e.labels().get("version")).containsOnly("v3");
        Run r = run("plan", f.toString());
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("\"subset\": \"v3\"").doesNotContain("10.1.0.11");
    }

    @Test
    void badInputExitsTwoWithOneLineNamingFileFieldAndValue(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, """
                name: bad
                caller: {locality: r1/z1}
                endpoints:
                  - {address: "10.0.0.1:80", weight: heavy}
                """);
        Run r = run("plan", f.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip().lines()).hasSize(1);
        // The file and the path once each (it once read "F: endpoints[0]: F: endpoints[0].weight: ...").
        assertThat(r.err()).isEqualTo("meridian: " + f + ": endpoints[0].weight: expected a whole number, got "
                + "'heavy'\n");
    }

    @Test
    void badIstioFieldIsReportedWithItsPath(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad-rule.yaml");
        Files.writeString(f, """
                name: bad-rule
                caller: {locality: r1/z1}
                destinationRule:
                  apiVersion: networking.istio.io/v1
                  kind: DestinationRule
                  metadata: {name: reviews}
                  spec:
                    host: reviews
                    trafficPolicy:
                      outlierDetection: {interval: soon}
                endpoints:
                  - {address: "10.0.0.1:80"}
                """);
        Run r = run("plan", f.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains(f.toString()).contains("outlierDetection.interval").contains("soon");
    }

    @Test
    void unknownScenarioAndMalformedYamlAreBadInput(@TempDir Path dir) throws IOException {
        Run missing = run("plan", dir.resolve("nope.yaml").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("nope.yaml").contains("built-in");
        Path f = dir.resolve("broken.yaml");
        Path tag = dir.resolve("tag.yaml");
        Files.writeString(tag, "!aa%a\n");
        Run badTag = run("plan", tag.toString());
        assertThat(badTag.status()).isEqualTo(2);
        assertThat(badTag.err()).contains("tag.yaml").contains("invalid YAML");
        Files.writeString(f, "name: [unclosed\n");
        Run broken = run("plan", f.toString());
        assertThat(broken.status()).isEqualTo(2);
        assertThat(broken.err().strip().lines()).hasSize(1);
        assertThat(broken.err()).contains("broken.yaml").contains("invalid YAML");
    }

    @Test
    void everyBuiltInScenarioPlans() {
        for (String name : Scenarios.builtIn()) {
            Run r = run("plan", name);
            assertThat(r.status()).as(name + ": " + r.err()).isZero();
            assertThat(r.out()).contains("\"scenario\": \"" + name + "\"");
        }
    }

    @Test
    @org.junit.jupiter.api.DisplayName("prefer-same-zone: plan explains the forced failoverPriority, the Service, the"
            + " panic threshold 0 and the terminating endpoint Istio dropped (GetLocalityLbSetting, filterIstioEndpoint)")
    void preferSameZonePlanExplainsTheServiceDecision() {
        Run r = run("plan", "prefer-same-zone");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("\"mode\": \"istio\"")
                .contains("\"trafficDistribution\": \"PreferSameZone\"")
                .contains("\"sendUnhealthyEndpoints\": true")
                .contains("\"panicThreshold\": 0")
                .contains("\"mode\": \"failoverPriority\"")
                .contains("from the Service's trafficDistribution PreferSameZone")
                .contains("\"address\": \"10.2.3.32:9080\",\n      \"reason\": \"terminating: Istio never sends")
                .contains("\"healthyLoad\": 70");
    }

    @Test
    void aKubeProxyCallerPlansWithoutTheMesh(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("kp.yaml");
        Files.writeString(f, Runs.builtInText("prefer-same-zone").replace("caller:\n  locality: r1/z1\n",
                "caller:\n  locality: r1/z1\n  mode: kube-proxy\n"));
        Run r = run("plan", f.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"mode\": \"kube-proxy\"").contains("\"lbPolicy\": \"RANDOM\"")
                .contains("kube-proxy PreferSameZone: its zone hint 'z2' is not the caller's zone 'z1'");
        Files.writeString(f, Runs.builtInText("prefer-same-zone").replace("caller:\n  locality: r1/z1\n",
                "caller:\n  locality: r1/z1\n  mode: sidecar\n"));
        Run bad = run("plan", f.toString());
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("caller.mode").contains("'sidecar'");
    }

    @Test
    void virtualNodeEndpointsAreKeptWithTheirPartialLocality() {
        // Scenario 4: endpoints with a region but no zone, or no locality at all, are valid and not lost.
        MeshClient c = client("virtual-nodes");
        assertThat(c.assignment().hostCount()).isEqualTo(4);
        assertThat(c.table().size()).isEqualTo(4);
        Run r = run("plan", "virtual-nodes");
        assertThat(r.out()).contains("10.9.9.31:9080").contains("10.1.9.21:9080");
    }

    private static Path withHistory(Path dir, String planAt) throws IOException {
        return withHistory(dir, planAt, "1.6");
    }

    private static Path withHistory(Path dir, String planAt, String istioVersion) throws IOException {
        String yaml = Runs.builtInText("cross-region").replace("mesh:\n", "mesh:\n  istioVersion: \"" + istioVersion + "\"\n");
        yaml = yaml.substring(0, yaml.indexOf("simulation:")) + """
                history:
                  - {at: 30s, endpoint: "10.1.0.11:9080", status: 503, count: 5}
                  - {at: 30s, endpoint: "10.1.0.12:9080", localOrigin: connect-failure, count: 5}
                  - {at: 40s, endpoint: "10.2.0.13:9080", status: 500, count: 50}
                planAt: %s
                """.formatted(planAt);
        Path f = dir.resolve("history-" + planAt + "-" + istioVersion + ".yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void historyEjectsAndPlanShowsTimeLeft(@TempDir Path dir) throws IOException {
        // Istio 1.6 maps consecutiveErrors: 5 to gateway failures (503, and connect failures, which Envoy
        // reports as 503 without split errors); plain 500s do not count, so v3 stays in service.
        // Ejected at 30s for baseEjectionTime 5m: at 1m, 270s are left.
        Run r = run("plan", withHistory(dir, "1m").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"atSeconds\": 60").contains("\"ejectedForSeconds\": 270")
                .contains("\"healthyLoad\": 100");
        assertThat(r.out().split("\"ejected\": true", -1)).hasSize(3);
        int p0 = r.out().indexOf("\"priority\": 0");
        assertThat(r.out().substring(p0, r.out().indexOf("\"priority\": 1"))).contains("\"healthyLoad\": 0");
    }

    @Test
    @DisplayName("the same history under the latest rules: consecutiveErrors is ignored (cluster_traffic_policy.go applyOutlierDetection), Envoy's default 5 consecutive 5xx @100 eject v3 on its 500s too")
    void latestRulesEjectOnPlainFiveHundreds(@TempDir Path dir) throws IOException {
        Run r = run("plan", withHistory(dir, "1m", "1.30").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"istioVersion\": \"1.30\"").contains("\"envoyVersion\": \"1.38\"");
        assertThat(r.out().split("\"ejected\": true", -1)).hasSize(4);
        Run old = run("plan", withHistory(dir, "1m", "1.6").toString());
        assertThat(old.out()).contains("\"istioVersion\": \"1.6\"").contains("\"envoyVersion\": \"1.14\"");
    }

    @Test
    void ejectedHostsReturnAtTheFirstSweepAfterTheirTime(@TempDir Path dir) throws IOException {
        // interval 2m: sweeps at 2m, 4m, 6m; the hosts may return from 5m30s, so at 6m they are back.
        Run r = run("plan", withHistory(dir, "6m").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).doesNotContain("\"ejected\": true");
        Run before = run("plan", withHistory(dir, "5m59s").toString());
        assertThat(before.out().split("\"ejected\": true", -1)).hasSize(3);
    }

    @Test
    void historyNamingAnUnknownEndpointIsBadInput(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("h.yaml");
        Files.writeString(f, """
                name: h
                caller: {locality: r1/z1}
                endpoints:
                  - {address: "10.0.0.1:80"}
                history:
                  - {at: 1m, endpoint: "10.0.0.2:80", status: 503}
                """);
        Run r = run("plan", f.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("history[0].endpoint").contains("10.0.0.2:80");
    }
}
