package dev.meridian.cli;

import static dev.meridian.cli.Runs.json;
import static dev.meridian.cli.Runs.list;
import static dev.meridian.cli.Runs.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meridian plan} and {@code simulate} on what an Envoy runs: the config dump in
 * docs/examples (an Istio 1.26 sidecar's {@code /config_dump?include_eds}, Envoy 1.34, whose
 * README is xds/src/test/resources/istio/README.md) and the reviews cluster's {@code Cluster} and
 * {@code ClusterLoadAssignment} cut from it, as the documentation shows them. Each case runs the
 * real entry point, {@link Main#run}.
 */
class EnvoyFilesCommandTest {
    static final String DUMP = "../docs/examples/istio-sidecar-config-dump.json";
    static final String CLUSTER = "../docs/examples/reviews-cluster.json";
    static final String ENDPOINTS = "../docs/examples/reviews-endpoints.json";
    static final String REVIEWS = "outbound|9080||reviews.bookinfo.svc.cluster.local";
    static final String RATINGS = "outbound|9080||ratings.bookinfo.svc.cluster.local";
    static final String DETAILS = "outbound|9080||details.bookinfo.svc.cluster.local";

    private static Map<String, Object> plan(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "plan";
        System.arraycopy(args, 0, all, 1, args.length);
        Runs.Invocation run = Runs.meridian(all);
        assertThat(run.err()).isEmpty();
        assertThat(run.status()).isZero();
        return json(run.out());
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object o) {
        return (List<String>) o;
    }

    private static List<Object> loads(Map<String, Object> plan, String field) {
        return list(plan.get("priorities")).stream().map(p -> p.get(field)).toList();
    }

    /**
     * reviews, as Envoy's {@code LoadBalancerBase::recalculatePerPriorityState}
     * (source/common/upstream/load_balancer_impl.cc) computes it, overprovisioning factor 140:
     * <ul>
     *   <li>P0 (us-east1-b): 1 healthy of 2, health = min(100, 140 × 1 / 2) = 70, degraded 0;</li>
     *   <li>P1 (us-east1-c): 2 of 2, health = min(100, 140 × 2 / 2) = 100;</li>
     *   <li>P2 (us-west1-a): 1 healthy and 1 degraded of 2, health 70, degraded 70.</li>
     * </ul>
     * Normalized total availability = min(100, 70 + 100 + 70 + 70) = 100. {@code distributeLoad}
     * gives P0 min(100, 70 × 100 / 100) = 70, P1 min(30, 100) = 30, P2 min(0, 70) = 0, leaving
     * nothing for degraded hosts. With total availability 100 no priority is in panic
     * ({@code recalculatePerPriorityPanic}), and the panic threshold is 0 anyway (istiod writes
     * {@code healthy_panic_threshold: {}} with outlier detection).
     */
    @Test
    @DisplayName("plan on the sample dump gives the priority loads Envoy computes for reviews")
    void reviewsLoadsAsEnvoyComputesThem() {
        Map<String, Object> p = plan(DUMP, "--cluster", REVIEWS);

        assertThat(p.get("scenario")).isEqualTo(REVIEWS);
        assertThat(p.get("destination")).isEqualTo(REVIEWS);
        assertThat(p.get("istioVersion")).isNull();
        assertThat(p.get("envoyVersion")).isEqualTo("1.34");
        assertThat(p.get("service")).isNull();
        Map<String, Object> caller = map(p.get("caller"));
        assertThat(caller.get("region")).isEqualTo("us-east1");
        assertThat(caller.get("zone")).isEqualTo("us-east1-b");
        assertThat(caller.get("mode")).isEqualTo("xds");
        Map<String, Object> locality = map(p.get("localityLb"));
        assertThat(locality.get("mode")).isEqualTo("control-plane");
        assertThat(locality.get("applied")).isEqualTo(false);
        assertThat(locality.get("localityWeighted")).isEqualTo(false);
        assertThat((String) locality.get("reason")).contains("as the control plane sent them");
        assertThat(p.get("lbPolicy")).isEqualTo("LEAST_REQUEST");
        assertThat(p.get("panicThreshold")).isEqualTo(0);
        assertThat(p.get("overprovisioningFactor")).isEqualTo(140);

        assertThat(loads(p, "priority")).containsExactly(0, 1, 2);
        assertThat(loads(p, "healthyLoad")).containsExactly(70, 30, 0);
        assertThat(loads(p, "degradedLoad")).containsExactly(0, 0, 0);
        assertThat(loads(p, "panic")).containsExactly(false, false, false);
        List<Map<String, Object>> p0 = list(list(p.get("priorities")).get(0).get("localities"));
        assertThat(p0).singleElement().satisfies(l -> {
            assertThat(l.get("zone")).isEqualTo("us-east1-b");
            assertThat(list(l.get("endpoints"))).extracting(e -> e.get("health"))
                    .containsExactly("HEALTHY", "UNHEALTHY");
        });
    }

    /**
     * ratings: every priority fully healthy, so P0 takes min(100, 140 × 1/1) = 100; its panic
     * threshold is the rule's minHealthPercent 25. details: one priority of three localities.
     */
    @Test
    @DisplayName("the other clusters of the dump: ratings all on P0 with its panic threshold, details one priority")
    void theOtherClusters() {
        Map<String, Object> ratings = plan(DUMP, "--cluster", RATINGS);
        assertThat(loads(ratings, "healthyLoad")).containsExactly(100, 0, 0);
        assertThat(ratings.get("panicThreshold")).isEqualTo(25);
        assertThat(ratings.get("lbPolicy")).isEqualTo("ROUND_ROBIN");

        Map<String, Object> details = plan(DUMP, "--cluster", DETAILS);
        assertThat(loads(details, "healthyLoad")).containsExactly(100);
        assertThat(list(list(details.get("priorities")).get(0).get("localities"))).hasSize(3);
        assertThat(details.get("panicThreshold")).isEqualTo(50);
    }

    @Test
    @DisplayName("a Cluster and its ClusterLoadAssignment give the plan the dump gives for that cluster")
    void thePairGivesTheDumpsPlan() {
        Map<String, Object> fromDump = plan(DUMP, "--cluster", REVIEWS);
        Map<String, Object> fromPair = plan(CLUSTER, ENDPOINTS, "--envoy-version", "1.34");

        // Only the dump knows its node's locality and says how it shows health.
        Map<String, Object> dump = new LinkedHashMap<>(fromDump);
        Map<String, Object> pair = new LinkedHashMap<>(fromPair);
        for (String field : List.of("caller", "warnings")) {
            dump.remove(field);
            pair.remove(field);
        }
        assertThat(pair).isEqualTo(dump);
        assertThat(map(fromPair.get("caller")).get("region")).isEqualTo("");
        assertThat(map(fromPair.get("caller")).get("mode")).isEqualTo("xds");
        assertThat(strings(fromPair.get("warnings"))).isEqualTo(List.of(
                "cluster.circuit_breakers: circuit breakers are not modelled: Meridian never fails a request for"
                        + " overflow"));

        // Without --envoy-version the files are read for the latest Envoy, and the plan says so.
        Map<String, Object> latest = plan(CLUSTER, ENDPOINTS);
        assertThat(latest.get("envoyVersion")).isNotEqualTo("1.34");
        assertThat(strings(latest.get("warnings"))).anySatisfy(w -> assertThat(w)
                .startsWith("envoyVersion: a Cluster and a ClusterLoadAssignment do not say which Envoy runs them"));
    }

    @Test
    @DisplayName("the dump's warnings are in plan's warnings, and those about other clusters are not")
    void theDumpsWarningsReachThePlan() {
        List<String> warnings = strings(plan(DUMP, "--cluster", REVIEWS).get("warnings"));
        assertThat(warnings).contains(
                "config_dump.configs[5]: a dump shows each host's health as Envoy saw it then: EDS status, active"
                        + " health checks and outlier ejection together, as HEALTHY, UNHEALTHY or DEGRADED (admin"
                        + " ConfigDumpHandler::addLbEndpoint)",
                "cluster.circuit_breakers: circuit breakers are not modelled: Meridian never fails a request for"
                        + " overflow");
        assertThat(warnings).noneMatch(w -> w.contains("PassthroughCluster"));
    }

    @Test
    @DisplayName("--cluster: clusters with endpoints are listed, a part of a name picks one, errors are one line")
    void clusterSelection() {
        Runs.Invocation which = Runs.meridian("plan", DUMP);
        assertThat(which.status()).isEqualTo(2);
        assertThat(which.out()).isEmpty();
        assertThat(which.err()).isEqualTo("meridian: " + DUMP + ": --cluster: which cluster? the dump has"
                + " prometheus_stats, agent, " + DETAILS + ", " + RATINGS + ", " + REVIEWS + "\n");

        assertThat(plan(DUMP, "--cluster", "reviews").get("destination")).isEqualTo(REVIEWS);

        Runs.Invocation ambiguous = Runs.meridian("plan", DUMP, "--cluster", "bookinfo");
        assertThat(ambiguous.status()).isEqualTo(2);
        assertThat(ambiguous.err()).isEqualTo("meridian: " + DUMP + ": --cluster: which cluster? 'bookinfo' is part"
                + " of " + DETAILS + ", " + RATINGS + ", " + REVIEWS + ", got 'bookinfo'\n");

        Runs.Invocation none = Runs.meridian("plan", DUMP, "--cluster", "payments");
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.err()).isEqualTo("meridian: " + DUMP + ": --cluster: no such cluster; the dump has"
                + " prometheus_stats, agent, " + DETAILS + ", " + RATINGS + ", " + REVIEWS + ", got 'payments'\n");

        // A cluster Meridian left out says why, naming the field.
        Runs.Invocation leftOut = Runs.meridian("plan", DUMP, "--cluster", "PassthroughCluster");
        assertThat(leftOut.status()).isEqualTo(2);
        assertThat(leftOut.err()).startsWith("meridian: " + DUMP + ": cluster[\"PassthroughCluster\"]: left out,"
                + " Meridian cannot run it: cluster.");
        assertThat(leftOut.err()).hasLineCount(1);

        Runs.Invocation onScenario = Runs.meridian("plan", "cross-region", "--cluster", "reviews");
        assertThat(onScenario.status()).isEqualTo(2);
        assertThat(onScenario.err()).isEqualTo("meridian: --cluster: applies to an Envoy config dump or cluster, and"
                + " cross-region is a scenario, got 'reviews'\n");
    }

    @Test
    @DisplayName("a dump with one cluster with endpoints needs no --cluster")
    void oneClusterNeedsNoFlag(@TempDir Path dir) throws IOException {
        Path dump = dir.resolve("one.json");
        Files.writeString(dump, """
                {"configs": [
                  {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
                   "dynamic_active_clusters": [
                     {"cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
                                  "name": "backend", "type": "EDS", "lb_policy": "RANDOM"}},
                     {"cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
                                  "name": "empty", "type": "EDS"}}]},
                  {"@type": "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump",
                   "dynamic_endpoint_configs": [
                     {"endpoint_config": {
                       "@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
                       "cluster_name": "backend",
                       "endpoints": [{"lb_endpoints": [
                         {"endpoint": {"address": {"socket_address": {"address": "10.0.0.1", "port_value": 80}}}}
                       ]}]}}]}]}
                """);
        Map<String, Object> p = plan(dump.toString());
        assertThat(p.get("destination")).isEqualTo("backend");
        assertThat(p.get("lbPolicy")).isEqualTo("RANDOM");
        assertThat(strings(p.get("warnings"))).anySatisfy(w -> assertThat(w)
                .startsWith("bootstrap.node.user_agent_build_version: the dump does not say which Envoy wrote it"));
    }

    /**
     * Locality weights survive from the assignment to the balancer: with locality-weighted balancing
     * on, a locality's effective weight is weight × min(1, 1.4 × healthy / total)
     * ({@code HostSetImpl::effectiveLocalityWeight}, source/common/upstream/upstream_impl.cc), here
     * 3 and 1, so z1 takes 3/4 of the load.
     */
    @Test
    @DisplayName("the assignment's locality weights reach the plan")
    void localityWeightsSurvive(@TempDir Path dir) throws IOException {
        Path cluster = dir.resolve("cluster.json");
        Files.writeString(cluster, """
                {"name": "weighted", "type": "EDS", "lb_policy": "ROUND_ROBIN",
                 "common_lb_config": {"locality_weighted_lb_config": {}}}
                """);
        Path cla = dir.resolve("cla.json");
        Files.writeString(cla, """
                {"cluster_name": "weighted", "endpoints": [
                  {"locality": {"region": "r1", "zone": "z1"}, "load_balancing_weight": 3, "lb_endpoints": [
                    {"endpoint": {"address": {"socket_address": {"address": "10.0.1.1", "port_value": 80}}}}]},
                  {"locality": {"region": "r1", "zone": "z2"}, "load_balancing_weight": 1, "lb_endpoints": [
                    {"endpoint": {"address": {"socket_address": {"address": "10.0.2.1", "port_value": 80}}}}]}]}
                """);
        Map<String, Object> p = plan(cluster.toString(), cla.toString());
        assertThat(map(p.get("localityLb")).get("localityWeighted")).isEqualTo(true);
        List<Map<String, Object>> localities = list(list(p.get("priorities")).get(0).get("localities"));
        assertThat(localities).extracting(l -> l.get("weight")).containsExactly(3, 1);
        assertThat(localities).extracting(l -> l.get("share")).containsExactly(75, 25);
    }

    @Test
    @DisplayName("malformed JSON, or a value that does not fit its field: one line naming file and field, status 2")
    void malformedJson(@TempDir Path dir) throws IOException {
        Path cut = dir.resolve("cut.json");
        String text = Files.readString(Path.of(DUMP));
        Files.writeString(cut, text.substring(0, text.length() / 2));
        Runs.Invocation run = Runs.meridian("plan", cut.toString());
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).startsWith("meridian: " + cut + ": config_dump: malformed JSON (");
        assertThat(run.err()).hasLineCount(1);

        Path cla = dir.resolve("cla.json");
        Files.writeString(cla, Files.readString(Path.of(ENDPOINTS)).replaceFirst("\"port_value\": 9080",
                "\"port_value\": \"http\""));
        Runs.Invocation field = Runs.meridian("plan", CLUSTER, cla.toString());
        assertThat(field.status()).isEqualTo(2);
        assertThat(field.err()).startsWith("meridian: " + cla + ": cluster_load_assignment.endpoints[0]"
                + ".lb_endpoints[0].endpoint.address.socket_address.port_value: ");
        assertThat(field.err()).hasLineCount(1);

        Path port = dir.resolve("port.json");
        Files.writeString(port, Files.readString(Path.of(ENDPOINTS)).replaceFirst("\"port_value\": 9080",
                "\"port_value\": 0"));
        assertThat(Runs.meridian("simulate", CLUSTER, port.toString()).err()).isEqualTo("meridian: " + port
                + ": cluster_load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value:"
                + " must be 1..65535, got '0'\n");
    }

    @Test
    @DisplayName("an lb_policy Envoy's API does not have: status 2 naming the field and the value")
    void unknownLbPolicy(@TempDir Path dir) throws IOException {
        Path cluster = dir.resolve("cluster.json");
        Files.writeString(cluster, Files.readString(Path.of(CLUSTER)).replace("\"lb_policy\": \"LEAST_REQUEST\"",
                "\"lb_policy\": \"FASTEST\""));
        for (String command : List.of("plan", "simulate")) {
            Runs.Invocation run = Runs.meridian(command, cluster.toString(), ENDPOINTS);
            assertThat(run.status()).isEqualTo(2);
            assertThat(run.err()).startsWith("meridian: " + cluster + ": cluster.lb_policy: ");
            assertThat(run.err()).endsWith(", got 'FASTEST'\n");
            assertThat(run.err()).hasLineCount(1);
        }
    }

    @Test
    @DisplayName("an assignment for another cluster is refused, as Envoy's EDS cluster refuses it")
    void anAssignmentForAnotherCluster(@TempDir Path dir) throws IOException {
        Path cla = dir.resolve("cla.json");
        Files.writeString(cla, Files.readString(Path.of(ENDPOINTS)).replace("\"cluster_name\": \"" + REVIEWS,
                "\"cluster_name\": \"" + RATINGS));
        Runs.Invocation run = Runs.meridian("plan", CLUSTER, cla.toString());
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("meridian: " + cla + ": cluster_load_assignment.cluster_name: Envoy applies an"
                + " assignment only to the cluster it names, and " + CLUSTER + " expects '" + REVIEWS + "' (its"
                + " eds_cluster_config.service_name, else its name), got '" + RATINGS + "'\n");
    }

    @Test
    @DisplayName("two scenarios are still one too many, and a lone Cluster gets a hint")
    void twoScenariosAndALoneCluster() {
        Runs.Invocation two = Runs.meridian("plan", "cross-region", "zone-outage");
        assertThat(two.err()).isEqualTo("meridian: plan: one scenario at a time, got 'cross-region' and"
                + " 'zone-outage'\n");
        assertThat(Runs.meridian("simulate", "cross-region", "zone-outage").err()).isEqualTo("meridian: simulate:"
                + " one scenario at a time (use --compare OTHER), got 'cross-region' and 'zone-outage' (meridian"
                + " simulate --help lists the options)\n");
        Runs.Invocation alone = Runs.meridian("plan", CLUSTER);
        assertThat(alone.status()).isEqualTo(2);
        assertThat(alone.err()).endsWith("(Envoy JSON? give a config dump, or a Cluster and its"
                + " ClusterLoadAssignment: CLUSTER.json CLA.json)\n");
        assertThat(alone.err()).hasLineCount(1);
    }

    @Test
    @DisplayName("the assignment given first is refused, saying which comes first")
    void theAssignmentFirst(@TempDir Path dir) throws IOException {
        // Without @type, only the fields tell a ClusterLoadAssignment from a Cluster.
        Path cla = dir.resolve("cla.json");
        Files.writeString(cla, Files.readString(Path.of(ENDPOINTS)).replaceFirst("\"@type\": \"[^\"]*\",", ""));
        Runs.Invocation run = Runs.meridian("plan", cla.toString(), CLUSTER);
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("meridian: " + cla + ": cluster: give the Cluster first and its"
                + " ClusterLoadAssignment second (CLUSTER.json CLA.json), got a ClusterLoadAssignment\n");
    }

    @Test
    @DisplayName("simulate runs a dump's cluster with the default traffic, and says so in the header")
    void simulateADump() {
        Runs.Invocation run = Runs.meridian("simulate", DUMP, "--cluster", "reviews", "--duration", "1m",
                "--no-timing", "--no-progress");
        assertThat(run.err()).isEmpty();
        assertThat(run.status()).isZero();
        assertThat(run.out()).startsWith("scenario " + REVIEWS);
        assertThat(run.out().replaceAll("\\s+", " ")).contains("traffic: the simulator's defaults, as Envoy files"
                + " have no simulation: section (--simulation SCENARIO lends one)");
        assertThat(run.out()).contains("caller us-east1/us-east1-b");
        // 70 / 30 / 0 as plan computes it, sampled by 6,000 requests.
        assertThat(run.out()).containsPattern("priority P0 (69|70)\\.\\d%  P1 (29|30|31)\\.\\d%  P2 0\\.0%");
    }

    /**
     * The README's example: reviews' own zone fails, its one healthy host is ejected and traffic
     * moves to priority 1; with us-east1-c scaled to zero, priority 2 (health min(100, 140 × 1/2) =
     * 70) takes what priority 0 leaves, 100 − 70 = 30%; added back, us-east1-c is priority 1 again.
     */
    @Test
    @DisplayName("the documented example faults run against the sample dump")
    void theDocumentedExampleRuns() {
        Runs.Invocation run = Runs.meridian("simulate", DUMP, "--cluster", "reviews", "--simulation",
                "../docs/examples/us-east1-b-outage.yaml", "--json", "--no-progress");
        assertThat(run.err()).isEmpty();
        assertThat(run.status()).isZero();
        List<Map<String, Object>> phases = list(json(run.out()).get("phases"));
        assertThat(phases).hasSize(5);
        assertThat(phases.get(1).get("label")).isEqualTo("fail zone us-east1/us-east1-b (503)");
        assertThat(share(phases.get(1), "1")).isGreaterThan(0.99);
        assertThat(phases.get(3).get("label")).isEqualTo("remove zone us-east1/us-east1-c");
        assertThat(share(phases.get(3), "1")).isZero();
        assertThat(share(phases.get(3), "2")).isCloseTo(0.30, org.assertj.core.data.Offset.offset(0.02));
        assertThat(share(phases.get(4), "1")).isCloseTo(0.30, org.assertj.core.data.Offset.offset(0.02));
    }

    /** A phase's share of requests at one priority, from the JSON report. */
    private static double share(Map<String, Object> phase, String priority) {
        return ((Number) map(map(phase.get("priorities")).get(priority)).get("share")).doubleValue();
    }

    @Test
    @DisplayName("--simulation lends a scenario's faults to a dump; its callers and a scenario of its own are refused")
    void simulateWithLentFaults(@TempDir Path dir) throws IOException {
        Path faults = dir.resolve("faults.yaml");
        Files.writeString(faults, """
                name: us-east1-b-down
                simulation:
                  duration: 3m
                  faults:
                    - {at: 1m, remove: {zone: us-east1/us-east1-b}}
                    - {at: 2m, add: {zone: us-east1/us-east1-b}}
                """);
        Runs.Invocation run = Runs.meridian("simulate", DUMP, "--cluster", "reviews", "--simulation",
                faults.toString(), "--json", "--no-progress");
        assertThat(run.err()).isEmpty();
        Map<String, Object> result = json(run.out());
        assertThat((String) result.get("description")).contains("traffic and faults: the simulation: section of "
                + faults);
        List<Map<String, Object>> phases = list(result.get("phases"));
        assertThat(phases).hasSize(3);

        Path callers = dir.resolve("callers.yaml");
        Files.writeString(callers, "name: c\nsimulation:\n  callers: [{locality: r1/z1}]\n");
        Runs.Invocation refused = Runs.meridian("simulate", DUMP, "--cluster", "reviews", "--simulation",
                callers.toString());
        assertThat(refused.status()).isEqualTo(2);
        assertThat(refused.err()).startsWith("meridian: " + callers + ": simulation.callers: Envoy files have one"
                + " caller");

        Runs.Invocation ownSection = Runs.meridian("simulate", "cross-region", "--simulation", faults.toString());
        assertThat(ownSection.status()).isEqualTo(2);
        assertThat(ownSection.err()).isEqualTo("meridian: --simulation: lends a simulation: section to Envoy files,"
                + " and cross-region is a scenario with its own, got '" + faults + "'\n");
    }
}
