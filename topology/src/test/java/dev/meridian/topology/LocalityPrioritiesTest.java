package dev.meridian.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Conformance tests for Istio's locality priorities. Sources:
 * istio/istio {@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go} (and its
 * {@code loadbalancer_test.go} fixtures), {@code pilot/pkg/networking/util/util.go}
 * ({@code LbPriority}, {@code LocalityMatch}), {@code pilot/pkg/networking/core/cluster_traffic_policy.go}
 * ({@code applyLocalityLoadBalancer}), {@code pilot/pkg/xds/endpoints/endpoint_builder.go}
 * ({@code BuildClusterLoadAssignment}) and {@code pilot/pkg/serviceregistry/util/label/label.go}
 * ({@code AugmentLabels}).
 */
class LocalityPrioritiesTest {

    private static final LocalityLbSetting DEFAULT = LocalityLbSetting.DEFAULT;

    static Endpoint ep(String address, String locality) {
        return Endpoint.of(address, Locality.parse(locality));
    }

    static Endpoint ep(String address, String locality, int weight) {
        return Endpoint.parseAddress(address, Locality.parse(locality), Map.of(), weight, HealthStatus.HEALTHY,
                Endpoint.NO_PRIORITY);
    }

    static Endpoint ep(String address, String locality, Map<String, String> labels) {
        return Endpoint.parseAddress(address, Locality.parse(locality), labels, 1, HealthStatus.HEALTHY,
                Endpoint.NO_PRIORITY);
    }

    static Caller caller(String locality) {
        return Caller.at(Locality.parse(locality));
    }

    static Caller caller(String locality, Map<String, String> labels) {
        return new Caller(Locality.parse(locality), labels);
    }

    static LocalityLbSetting failover(String... fromTo) {
        List<LocalityLbSetting.Failover> rules = new ArrayList<>();
        for (int i = 0; i < fromTo.length; i += 2) {
            rules.add(new LocalityLbSetting.Failover(fromTo[i], fromTo[i + 1]));
        }
        return new LocalityLbSetting(null, List.of(), rules, List.of());
    }

    static LocalityLbSetting failoverPriority(String... labels) {
        return new LocalityLbSetting(null, List.of(), List.of(), List.of(labels));
    }

    static LocalityLbSetting distribute(LocalityLbSetting.Distribute... rules) {
        return new LocalityLbSetting(null, List.of(rules), List.of(), List.of());
    }

    /** {@code to} entries in the order written: pattern, weight, pattern, weight, ... */
    static LocalityLbSetting.Distribute rule(String from, Object... to) {
        Map<String, Integer> weights = new LinkedHashMap<>();
        for (int i = 0; i < to.length; i += 2) {
            weights.put((String) to[i], (Integer) to[i + 1]);
        }
        return new LocalityLbSetting.Distribute(from, weights);
    }

    static Map<String, Integer> priorities(PriorityAssignment a) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Priority p : a.priorities()) {
            for (Endpoint e : p.endpoints()) {
                out.put(e.host(), p.priority());
            }
        }
        return out;
    }

    static Map<String, Integer> weightsAt(PriorityAssignment a, int priority) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Priority p : a.priorities()) {
            if (p.priority() == priority) {
                for (LocalityGroup g : p.localities()) {
                    out.put(g.locality().toString(), g.weight());
                }
            }
        }
        return out;
    }

    static Map<String, Integer> weights(PriorityAssignment a) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Priority p : a.priorities()) {
            for (LocalityGroup g : p.localities()) {
                out.put(g.locality().toString(), g.weight());
            }
        }
        return out;
    }

    @Nested
    @DisplayName("Scenario 2, bookinfo across regions (Istio locality failover task; loadbalancer.go applyLocalityFailover)")
    class Bookinfo {
        final List<Endpoint> reviews = List.of(
                ep("10.1.0.1:9080", "r1/z1", Map.of("version", "v1")),
                ep("10.1.0.2:9080", "r1/z1", Map.of("version", "v2")),
                ep("10.2.0.3:9080", "r2/z1", Map.of("version", "v3")));
        final Caller productpage = caller("r1/z1");

        @Test
        @DisplayName("with outlier detection: v1 and v2 in the caller's region take priority 0, v3 is the failover")
        void withOutlierDetection() {
            PriorityAssignment a = LocalityPriorities.assign(reviews, productpage, DEFAULT, null, true);

            assertThat(a.applied()).isTrue();
            assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_FAILOVER);
            assertThat(priorities(a)).containsExactly(
                    Map.entry("10.1.0.1", 0), Map.entry("10.1.0.2", 0), Map.entry("10.2.0.3", 1));
            // applyLocalityLoadBalancer turns locality-weighted balancing on only when rules are written.
            assertThat(a.localityWeighted()).isFalse();
            assertThat(a.excluded()).isEmpty();
            assertThat(a.reason()).contains("applyLocalityFailover");
        }

        @Test
        @DisplayName("without outlier detection: one priority, not applied, and the reason says why")
        void withoutOutlierDetection() {
            PriorityAssignment a = LocalityPriorities.assign(reviews, productpage, DEFAULT, null, false);

            assertThat(a.applied()).isFalse();
            assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_NONE);
            assertThat(a.priorities()).hasSize(1);
            assertThat(a.priorities().get(0).hostCount()).isEqualTo(3);
            assertThat(a.reason()).isEqualTo("locality failover needs outlier detection on the destination (Istio"
                    + " applies localityLbSetting failover only when the DestinationRule sets outlierDetection);"
                    + " all endpoints stay in one priority");
            assertThat(a.localityWeighted()).isFalse();
        }

        @Test
        @DisplayName("r1 scaled to zero: v3 alone is priority 0 at once")
        void regionScaledToZero() {
            PriorityAssignment a = LocalityPriorities.assign(reviews.subList(2, 3), productpage, DEFAULT, null, true);

            assertThat(priorities(a)).containsExactly(Map.entry("10.2.0.3", 0));
        }
    }

    @Nested
    @DisplayName("Proximity levels (util.go LbPriority; loadbalancer_test.go \"Failover: all priorities\")")
    class Proximity {

        @Test
        @DisplayName("same subzone 0, same zone 1, same region 2, other region 3, renumbered without gaps")
        void levels() {
            List<Endpoint> eps = List.of(
                    ep("1.0.0.1:80", "r1/z1/s1"), ep("1.0.0.2:80", "r1/z1/s2"), ep("1.0.0.3:80", "r1/z2"),
                    ep("1.0.0.4:80", "r2"), ep("1.0.0.5:80", ""));
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1/z1/s1"), DEFAULT, null, true);

            assertThat(priorities(a)).containsExactly(Map.entry("1.0.0.1", 0), Map.entry("1.0.0.2", 1),
                    Map.entry("1.0.0.3", 2), Map.entry("1.0.0.4", 3), Map.entry("1.0.0.5", 3));
        }

        @Test
        @DisplayName("gaps are closed: no same-subzone or same-region-other-zone endpoints leaves 0 and 1")
        void gapsClosed() {
            List<Endpoint> eps = List.of(ep("1.0.0.1:80", "r1/z1/s2"), ep("1.0.0.2:80", "r2/z1/s2"));
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1/z1/s1"), DEFAULT, null, true);

            assertThat(priorities(a)).containsExactly(Map.entry("1.0.0.1", 0), Map.entry("1.0.0.2", 1));
            assertThat(a.priorities()).extracting(Priority::priority).containsExactly(0, 1);
        }

        @Test
        @DisplayName("missing fields compare equal only to missing fields, as Go string comparison")
        void missingFields() {
            List<Endpoint> eps = List.of(ep("1.0.0.1:80", "r1"), ep("1.0.0.2:80", "r1/z1"), ep("1.0.0.3:80", ""));

            PriorityAssignment regionOnly = LocalityPriorities.assign(eps, caller("r1"), DEFAULT, null, true);
            // r1 vs r1: zone "" == "" and subzone "" == "" -> 0; r1/z1 -> 2; unknown -> 3.
            assertThat(priorities(regionOnly)).containsExactly(
                    Map.entry("1.0.0.1", 0), Map.entry("1.0.0.2", 1), Map.entry("1.0.0.3", 2));

            PriorityAssignment unknown = LocalityPriorities.assign(eps, caller(""), DEFAULT, null, true);
            assertThat(priorities(unknown)).containsOnly(
                    Map.entry("1.0.0.1", 1), Map.entry("1.0.0.2", 1), Map.entry("1.0.0.3", 0));
        }

        @Test
        @DisplayName("LbPriority and LocalityMatch as util.go defines them")
        void primitives() {
            Locality c = Locality.parse("r1/z1/s1");
            assertThat(LocalityPriorities.proximity(c, Locality.parse("r1/z1/s1"))).isZero();
            assertThat(LocalityPriorities.proximity(c, Locality.parse("r1/z1"))).isEqualTo(1);
            assertThat(LocalityPriorities.proximity(c, Locality.parse("r1/z2/s1"))).isEqualTo(2);
            assertThat(LocalityPriorities.proximity(c, Locality.parse("r2/z1/s1"))).isEqualTo(3);

            assertThat(LocalityPriorities.localityMatches(c, "*")).isTrue();
            assertThat(LocalityPriorities.localityMatches(c, "r1")).isTrue();
            assertThat(LocalityPriorities.localityMatches(c, "r1/*")).isTrue();
            assertThat(LocalityPriorities.localityMatches(c, "r1/z1/*")).isTrue();
            assertThat(LocalityPriorities.localityMatches(c, "r1/z1/s1")).isTrue();
            assertThat(LocalityPriorities.localityMatches(c, "r1/z2")).isFalse();
            assertThat(LocalityPriorities.localityMatches(c, "r2/*")).isFalse();
            assertThat(LocalityPriorities.localityMatches(Locality.UNKNOWN, "r1")).isFalse();
            assertThat(LocalityPriorities.localityMatches(Locality.UNKNOWN, "*")).isTrue();
        }

        @Test
        @DisplayName("explicit endpoint priorities stay the outer tier: priority*5 + level, then renumbered")
        void explicitPriorityIsOuterTier() {
            List<Endpoint> eps = List.of(
                    ep("1.0.0.1:80", "r2").withPriority(0), ep("1.0.0.2:80", "r1").withPriority(1),
                    ep("1.0.0.3:80", "r1").withPriority(0));
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1"), DEFAULT, null, true);

            // keys: 0*5+3 = 3, 1*5+0 = 5, 0*5+0 = 0 -> ranks 1, 2, 0
            assertThat(priorities(a)).containsExactly(
                    Map.entry("1.0.0.3", 0), Map.entry("1.0.0.1", 1), Map.entry("1.0.0.2", 2));
        }
    }

    @Nested
    @DisplayName("failover from/to (loadbalancer.go applyLocalityFailover; loadbalancer_test.go failover cases)")
    class Failover {

        @Test
        @DisplayName("Istio fixture: r1/z1/s1 caller, failover r1->r2: subzone 0, zone 1, region 2, r2 3, r3 4")
        void allPriorities() {
            List<Endpoint> eps = List.of(
                    ep("1.0.0.1:80", "r1/z1/s1"), ep("1.0.0.2:80", "r1/z1/s2"), ep("1.0.0.3:80", "r1/z1/s3"),
                    ep("1.0.0.4:80", "r1/z2"), ep("1.0.0.5:80", "r2"), ep("1.0.0.6:80", "r3"));
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1/z1/s1"), failover("r1", "r2"), null, true);

            assertThat(priorities(a)).containsExactly(Map.entry("1.0.0.1", 0), Map.entry("1.0.0.2", 1),
                    Map.entry("1.0.0.3", 1), Map.entry("1.0.0.4", 2), Map.entry("1.0.0.5", 3), Map.entry("1.0.0.6", 4));
            assertThat(a.localityWeighted()).isTrue();
            assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_FAILOVER);
        }

        @Test
        @DisplayName("Istio fixture with a nil locality: it is 'not r2', so it drops below the failover region")
        void nilLocality() {
            List<Endpoint> eps = List.of(ep("1.0.0.1:80", "r1/z1/s2"), ep("1.0.0.2:80", ""), ep("1.0.0.3:80", "r2/z1/s2"));
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1/z1/s1"), failover("r1", "r2"), null, true);

            assertThat(priorities(a)).containsExactly(
                    Map.entry("1.0.0.1", 0), Map.entry("1.0.0.3", 1), Map.entry("1.0.0.2", 2));
        }

        @Test
        @DisplayName("only the first rule whose 'from' is the caller's region counts (Istio breaks)")
        void firstMatchingRuleOnly() {
            List<Endpoint> eps = List.of(ep("1.0.0.1:80", "r3"), ep("1.0.0.2:80", "r2"));
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1"),
                    failover("r1", "r2", "r1", "r3"), null, true);

            assertThat(priorities(a)).containsExactly(Map.entry("1.0.0.2", 0), Map.entry("1.0.0.1", 1));
        }

        @Test
        @DisplayName("a rule for another region leaves every other region at level 3")
        void ruleForOtherRegion() {
            List<Endpoint> eps = List.of(ep("1.0.0.1:80", "r3"), ep("1.0.0.2:80", "r1"), ep("1.0.0.3:80", "r2"));
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r2"), failover("r1", "r3"), null, true);

            assertThat(priorities(a)).containsExactly(
                    Map.entry("1.0.0.3", 0), Map.entry("1.0.0.1", 1), Map.entry("1.0.0.2", 1));
        }
    }

    @Nested
    @DisplayName("failoverPriority (loadbalancer.go applyFailoverPriorities, applyFailoverPriorityPerLocality, priorityLabelOverrides)")
    class FailoverPriority {
        static final String NETWORK = "topology.istio.io/network";
        static final String CLUSTER = "topology.istio.io/cluster";

        /** loadbalancer_test.go buildWrappedLocalityLbEndpoints. */
        final List<Endpoint> fixture = List.of(
                ep("1.1.1.1:10001", "region1/zone1/subzone1", Map.of(NETWORK, "n1", CLUSTER, "c1")),
                ep("2.2.2.2:10001", "region1/zone1/subzone1", Map.of("key", "value", NETWORK, "n2", CLUSTER, "c2")),
                ep("3.3.3.3:10001", "region2/zone2/subzone2", Map.of("key", "value", NETWORK, "n1", CLUSTER, "c3")),
                ep("4.4.4.4:10001", "region2/zone2/subzone2", Map.of("key", "value", NETWORK, "n2", CLUSTER, "c4")),
                ep("1.2.3.4:10001", "region3/zone3/subzone3", Map.of("key", "value", NETWORK, "n1", CLUSTER, "c1")),
                ep("2.3.4.5:10001", "region3/zone3/subzone3", Map.of("key", "value", NETWORK, "n2", CLUSTER, "c2")));

        @Test
        @DisplayName("Istio case \"match all labels\": a mismatch at label j of n gives n - j")
        void matchAllLabels() {
            Caller c = caller("region1/zone1/subzone1", Map.of("key", "value", NETWORK, "n2", CLUSTER, "c2"));
            PriorityAssignment a = LocalityPriorities.assign(fixture, c,
                    failoverPriority("key", NETWORK, CLUSTER), null, true);

            assertThat(priorities(a)).containsOnly(
                    Map.entry("2.2.2.2", 0), Map.entry("2.3.4.5", 0), Map.entry("4.4.4.4", 1),
                    Map.entry("1.2.3.4", 2), Map.entry("3.3.3.3", 2), Map.entry("1.1.1.1", 3));
            assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_FAILOVER_PRIORITY);
            assertThat(a.localityWeighted()).isTrue();
        }

        @Test
        @DisplayName("one locality split over several priorities, each with its own weight")
        void localitySplitAcrossPriorities() {
            Caller c = caller("region1/zone1/subzone1", Map.of("key", "value", NETWORK, "n2", CLUSTER, "c2"));
            PriorityAssignment a = LocalityPriorities.assign(fixture, c,
                    failoverPriority("key", NETWORK, CLUSTER), null, true);

            assertThat(weightsAt(a, 0)).containsExactly(
                    Map.entry("region1/zone1/subzone1", 1), Map.entry("region3/zone3/subzone3", 1));
            assertThat(weightsAt(a, 1)).containsExactly(Map.entry("region2/zone2/subzone2", 1));
            assertThat(weightsAt(a, 2)).containsExactly(
                    Map.entry("region2/zone2/subzone2", 1), Map.entry("region3/zone3/subzone3", 1));
            assertThat(weightsAt(a, 3)).containsExactly(Map.entry("region1/zone1/subzone1", 1));
        }

        @Test
        @DisplayName("Istio case \"match network label\": a cluster mismatch ranks above a network mismatch")
        void matchNetwork() {
            Caller c = caller("region1/zone1/subzone1", Map.of(NETWORK, "n1", CLUSTER, "test"));
            PriorityAssignment a = LocalityPriorities.assign(fixture, c, failoverPriority(NETWORK, CLUSTER), null, true);

            // n1 endpoints mismatch at the cluster label (1), the rest at the network label (2): renumbered 0 and 1.
            assertThat(priorities(a)).containsOnly(
                    Map.entry("1.1.1.1", 0), Map.entry("1.2.3.4", 0), Map.entry("3.3.3.3", 0),
                    Map.entry("2.2.2.2", 1), Map.entry("4.4.4.4", 1), Map.entry("2.3.4.5", 1));
        }

        @Test
        @DisplayName("Istio case \"priority assignment as per the overridden value\": label=value replaces the caller's")
        void override() {
            Caller c = caller("region1/zone1/subzone1", Map.of(NETWORK, "n2", CLUSTER, "test"));
            PriorityAssignment a = LocalityPriorities.assign(fixture, c, failoverPriority(NETWORK + "=n1"), null, true);

            assertThat(priorities(a)).containsOnly(
                    Map.entry("1.1.1.1", 0), Map.entry("1.2.3.4", 0), Map.entry("3.3.3.3", 0),
                    Map.entry("2.2.2.2", 1), Map.entry("4.4.4.4", 1), Map.entry("2.3.4.5", 1));
        }

        @Test
        @DisplayName("Istio case \"no endpoints with overridden value\": everything mismatches alike, one priority")
        void overrideMatchesNothing() {
            Caller c = caller("region1/zone1/subzone1", Map.of(NETWORK, "n1"));
            PriorityAssignment a = LocalityPriorities.assign(fixture, c, failoverPriority(NETWORK + "=n3"), null, true);

            assertThat(a.priorities()).hasSize(1);
            assertThat(a.priorities().get(0).priority()).isZero();
            assertThat(weightsAt(a, 0)).containsExactly(Map.entry("region1/zone1/subzone1", 2),
                    Map.entry("region2/zone2/subzone2", 2), Map.entry("region3/zone3/subzone3", 2));
        }

        @Test
        @DisplayName("a label with more than one '=' is a plain label: Istio honours only exactly two parts")
        void malformedOverrideIsPlainLabel() {
            Caller c = caller("", Map.of(NETWORK, "n2"));
            PriorityAssignment a = LocalityPriorities.assign(fixture, c, failoverPriority(NETWORK + "=n1=x"), null, true);

            assertThat(priorities(a)).containsOnly(
                    Map.entry("2.2.2.2", 0), Map.entry("4.4.4.4", 0), Map.entry("2.3.4.5", 0),
                    Map.entry("1.1.1.1", 1), Map.entry("1.2.3.4", 1), Map.entry("3.3.3.3", 1));
        }

        @Test
        @DisplayName("a caller with no labels and no locality is skipped: nothing applied, the reason says so")
        void callerWithoutLabels() {
            PriorityAssignment a = LocalityPriorities.assign(fixture, caller(""), failoverPriority(NETWORK), null, true);

            assertThat(a.applied()).isFalse();
            assertThat(a.priorities()).hasSize(1);
            assertThat(a.reason()).contains("caller has no labels");
            // Istio still sets locality_weighted_lb_config: outlier detection and failoverPriority are present.
            assertThat(a.localityWeighted()).isTrue();
        }

        @Test
        @DisplayName("a caller without labels but with failover rules still gets region failover")
        void callerWithoutLabelsFallsBackToFailover() {
            LocalityLbSetting s = new LocalityLbSetting(null, List.of(),
                    List.of(new LocalityLbSetting.Failover("region1", "region3")), List.of(NETWORK));
            Caller c = new Caller(Locality.UNKNOWN, Map.of());
            List<Endpoint> eps = List.of(ep("1.0.0.1:80", "region2"), ep("1.0.0.2:80", "region3"), ep("1.0.0.3:80", ""));
            PriorityAssignment a = LocalityPriorities.assign(eps, c, s, null, true);

            assertThat(a.applied()).isTrue();
            assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_FAILOVER);
            assertThat(priorities(a)).containsExactly(
                    Map.entry("1.0.0.3", 0), Map.entry("1.0.0.1", 1), Map.entry("1.0.0.2", 1));
            assertThat(a.warnings()).anyMatch(w -> w.contains("skipped"));
        }

        @Test
        @DisplayName("topology labels derive from the locality (AugmentLabels): region, then zone")
        void derivedTopologyLabels() {
            List<Endpoint> eps = List.of(ep("1.0.0.1:80", "r2"), ep("1.0.0.2:80", "r1/z2"), ep("1.0.0.3:80", "r1/z1"));
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1/z1"),
                    failoverPriority(LocalityPriorities.LABEL_REGION, LocalityPriorities.LABEL_ZONE), null, true);

            assertThat(priorities(a)).containsExactly(
                    Map.entry("1.0.0.3", 0), Map.entry("1.0.0.2", 1), Map.entry("1.0.0.1", 2));
        }

        @Test
        @DisplayName("AugmentLabels: a locality value replaces an explicit label; an empty locality field keeps it")
        void localityWinsOverExplicitLabel() {
            Endpoint stale = ep("1.0.0.1:80", "r2", Map.of(LocalityPriorities.LABEL_REGION, "r1"));
            Endpoint labelOnly = ep("1.0.0.2:80", "", Map.of(LocalityPriorities.LABEL_REGION, "r1"));

            assertThat(LocalityPriorities.endpointLabels(stale)).containsEntry(LocalityPriorities.LABEL_REGION, "r2");
            assertThat(LocalityPriorities.endpointLabels(labelOnly)).containsEntry(LocalityPriorities.LABEL_REGION, "r1");

            PriorityAssignment a = LocalityPriorities.assign(List.of(stale, labelOnly), caller("r1"),
                    failoverPriority(LocalityPriorities.LABEL_REGION), null, true);
            assertThat(priorities(a)).containsExactly(Map.entry("1.0.0.2", 0), Map.entry("1.0.0.1", 1));
        }

        @Test
        @DisplayName("the caller's subzone is dropped when its zone is empty (ads.go setTopologyLabels via LocalityToString)")
        void callerSubzoneWithoutZone() {
            Caller c = new Caller(Locality.of("r1", "", "s1"), Map.of());
            assertThat(LocalityPriorities.callerLabels(c))
                    .containsEntry(LocalityPriorities.LABEL_REGION, "r1")
                    .doesNotContainKey(LocalityPriorities.LABEL_SUBZONE);
        }

        @Test
        @DisplayName("explicit endpoint priorities are replaced, with a warning")
        void explicitPrioritiesReplaced() {
            List<Endpoint> eps = List.of(ep("1.0.0.1:80", "r1").withPriority(3), ep("1.0.0.2:80", "r2").withPriority(0));
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1"),
                    failoverPriority(LocalityPriorities.LABEL_REGION), null, true);

            assertThat(priorities(a)).containsExactly(Map.entry("1.0.0.1", 0), Map.entry("1.0.0.2", 1));
            assertThat(a.warnings()).anyMatch(w -> w.contains("explicit endpoint priorities are replaced"));
        }
    }

    @Nested
    @DisplayName("failoverPriority with failover (loadbalancer_test.go \"FailoverPriority with Failover\")")
    class Combined {

        @Test
        @DisplayName("labels first, then applyLocalityFailover on top as priority*5+level, renumbered")
        void istioMixedFixture() {
            String network = "topology.istio.io/network";
            String cluster = "topology.istio.io/cluster";
            List<Endpoint> eps = List.of(
                    ep("1.1.1.1:10001", "region1/zone1/subzone1", Map.of(network, "n1", cluster, "c1")),
                    ep("2.2.2.2:10001", "region1/zone2/subzone2", Map.of("key", "value", network, "n2", cluster, "c2")),
                    ep("3.3.3.3:10001", "region2/zone2/subzone2", Map.of("key", "value", network, "n1", cluster, "c3")),
                    ep("4.4.4.4:10001", "region3/zone3/subzone3", Map.of("key", "value", network, "n2", cluster, "c4")),
                    ep("5.5.5.5:10001", "region2/zone2/subzone2", Map.of(network, "n2", cluster, "c2")),
                    ep("6.6.6.6:10001", "region3/zone3/subzone3", Map.of("key", "value", network, "n1", cluster, "c6")));
            LocalityLbSetting s = new LocalityLbSetting(null, List.of(),
                    List.of(new LocalityLbSetting.Failover("region1", "region2")), List.of(network, cluster));
            Caller c = caller("region1/zone1/subzone1", Map.of(network, "n2", cluster, "c2"));

            PriorityAssignment a = LocalityPriorities.assign(eps, c, s, null, true);

            assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_FAILOVER_AND_PRIORITY);
            assertThat(priorities(a)).containsOnly(
                    Map.entry("2.2.2.2", 0), Map.entry("5.5.5.5", 1), Map.entry("4.4.4.4", 2),
                    Map.entry("1.1.1.1", 3), Map.entry("3.3.3.3", 4), Map.entry("6.6.6.6", 5));
            assertThat(a.localityWeighted()).isTrue();
        }
    }

    @Nested
    @DisplayName("distribute (loadbalancer.go applyLocalityWeights; util.go LocalityMatch)")
    class Distribute {
        final List<Endpoint> eps = List.of(
                ep("1.0.0.1:80", "r1/z1/s1", 1), ep("1.0.0.2:80", "r1/z1/s1", 1), ep("1.0.0.3:80", "r1/z1/s2"),
                ep("1.0.0.4:80", "r1/z1/s3"), ep("1.0.0.5:80", "r1/z2"), ep("1.0.0.6:80", "r2"),
                ep("1.0.0.7:80", "r3"));

        @Test
        @DisplayName("Istio case \"distribution between subzones\": weights set, unmatched localities excluded")
        void betweenSubzones() {
            LocalityLbSetting s = distribute(rule("r1/z1/s1", "r1/z1/s1", 80, "r1/z1/s2", 15, "r1/z1/s3", 5));
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1/z1/s1"), s, null, false);

            assertThat(a.applied()).isTrue();
            assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_DISTRIBUTE);
            assertThat(a.localityWeighted()).isTrue();
            assertThat(weights(a)).containsExactly(
                    Map.entry("r1/z1/s1", 80), Map.entry("r1/z1/s2", 15), Map.entry("r1/z1/s3", 5));
            assertThat(a.excluded()).extracting(x -> x.endpoint().host())
                    .containsExactly("1.0.0.5", "1.0.0.6", "1.0.0.7");
            assertThat(a.excluded().get(0).reason()).contains("'r1/z2'").contains("matches no 'to'");
            assertThat(a.priorities()).hasSize(1);
        }

        @Test
        @DisplayName("a wildcard 'to' splits its weight by the localities' own weights, rounded up")
        void wildcardShares() {
            List<Endpoint> in = List.of(ep("1.0.0.1:80", "r1/z1", 1), ep("1.0.0.2:80", "r1/z2", 2),
                    ep("1.0.0.3:80", "r2/z1", 1));
            LocalityLbSetting s = distribute(rule("r1/*", "r1/*", 70, "r2", 30));
            PriorityAssignment a = LocalityPriorities.assign(in, caller("r1/z1"), s, null, true);

            // ceil(70*1/3) = 24, ceil(70*2/3) = 47, ceil(30*1/1) = 30
            assertThat(weights(a)).containsExactly(
                    Map.entry("r1/z1", 24), Map.entry("r1/z2", 47), Map.entry("r2/z1", 30));
            assertThat(a.excluded()).isEmpty();
        }

        @Test
        @DisplayName("overlapping 'to' entries: the first written claims the locality, and a warning says Istio varies")
        void overlapUsesWrittenOrder() {
            List<Endpoint> in = List.of(ep("1.0.0.1:80", "r1/z1"), ep("1.0.0.2:80", "r1/z2"));
            LocalityLbSetting s = distribute(rule("*", "r1/z1", 60, "r1/*", 40));
            PriorityAssignment a = LocalityPriorities.assign(in, caller("r1/z1"), s, null, false);

            assertThat(weights(a)).containsExactly(Map.entry("r1/z1", 60), Map.entry("r1/z2", 40));
            assertThat(a.warnings()).singleElement().asString()
                    .contains("'r1/z1'").contains("Go map").contains("order written");
        }

        @Test
        @DisplayName("the first rule whose 'from' matches the caller applies, the others are ignored")
        void firstMatchingFrom() {
            List<Endpoint> in = List.of(ep("1.0.0.1:80", "r1/z1"), ep("1.0.0.2:80", "r2/z1"));
            LocalityLbSetting s = distribute(rule("r2/*", "r2", 100), rule("r1/z1", "r1", 90, "r2", 10),
                    rule("r1", "r1", 100));
            PriorityAssignment a = LocalityPriorities.assign(in, caller("r1/z1/s9"), s, null, false);

            assertThat(weights(a)).containsExactly(Map.entry("r1/z1", 90), Map.entry("r2/z1", 10));
            assertThat(a.reason()).contains("'r1/z1'");
        }

        @Test
        @DisplayName("no 'from' matches: nothing changes, locality weighting stays on with endpoint-weight sums")
        void noFromMatches() {
            List<Endpoint> in = List.of(ep("1.0.0.1:80", "r1/z1", 3), ep("1.0.0.2:80", "r2/z1", 2));
            PriorityAssignment a = LocalityPriorities.assign(in, caller("r9"), distribute(rule("r1", "r1", 100)),
                    null, true);

            assertThat(a.applied()).isFalse();
            assertThat(a.localityWeighted()).isTrue();
            assertThat(a.excluded()).isEmpty();
            assertThat(weights(a)).containsExactly(Map.entry("r1/z1", 3), Map.entry("r2/z1", 2));
            assertThat(a.reason()).contains("no distribute rule");
        }

        @Test
        @DisplayName("explicit priorities are kept as given, not renumbered")
        void explicitPrioritiesKept() {
            List<Endpoint> in = List.of(ep("1.0.0.1:80", "r1").withPriority(2), ep("1.0.0.2:80", "r2").withPriority(5));
            PriorityAssignment a = LocalityPriorities.assign(in, caller("r1"),
                    distribute(rule("r1", "r1", 50, "r2", 50)), null, true);

            assertThat(a.priorities()).extracting(Priority::priority).containsExactly(2, 5);
            assertThat(weightsAt(a, 2)).containsExactly(Map.entry("r1", 50));
        }

        @Test
        @DisplayName("distribute wins over failoverPriority, which Istio ignores; a warning says so")
        void failoverPriorityIgnored() {
            LocalityLbSetting s = new LocalityLbSetting(null, List.of(rule("r1", "r1", 100)), List.of(),
                    List.of("topology.istio.io/network"));
            PriorityAssignment a = LocalityPriorities.assign(List.of(ep("1.0.0.1:80", "r1")), caller("r1"), s, null, true);

            assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_DISTRIBUTE);
            assertThat(a.warnings()).anyMatch(w -> w.contains("failoverPriority"));
        }

        @Test
        @DisplayName("Istio's uint32 product wraps: a weight above 2^32/percent is reproduced as Istio computes it")
        void uint32Wrap() {
            List<Endpoint> in = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                in.add(ep("10.0.0." + i + ":80", "r1", Endpoint.MAX_WEIGHT));
            }
            in.add(ep("10.0.1.1:80", "r2", 1));
            PriorityAssignment a = LocalityPriorities.assign(in, caller("r1"),
                    distribute(rule("r1", "r1", 99, "r2", 1)), null, true);

            long original = 50L * Endpoint.MAX_WEIGHT;
            long wrapped = (original * 99) & 0xFFFF_FFFFL;
            int expected = (int) Math.ceil((double) wrapped / original);
            assertThat(weights(a)).containsEntry("r1", expected).containsEntry("r2", 1);
            assertThat(a.warnings()).anyMatch(w -> w.contains("32-bit"));
        }
    }

    @Nested
    @DisplayName("Which setting applies (loadbalancer.go GetLocalityLbSetting; cluster_traffic_policy.go applyLocalityLoadBalancer)")
    class SettingResolution {
        final List<Endpoint> eps = List.of(ep("1.0.0.1:80", "r1"), ep("1.0.0.2:80", "r2"));
        final LocalityLbSetting off = new LocalityLbSetting(false, List.of(), List.of(), List.of());
        final LocalityLbSetting on = new LocalityLbSetting(true, List.of(), List.of(), List.of());

        @Test
        @DisplayName("no setting anywhere: not applied, with a reason")
        void noSetting() {
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1"), null, null, true);
            assertThat(a.applied()).isFalse();
            assertThat(a.reason()).startsWith("no localityLbSetting");
            assertThat(a.priorities()).hasSize(1);
        }

        @Test
        @DisplayName("the DestinationRule's enabled: false turns it off even when the mesh enables it")
        void ruleDisabled() {
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1"), on, off, true);
            assertThat(a.applied()).isFalse();
            assertThat(a.reason()).contains("DestinationRule").contains("enabled: false");
        }

        @Test
        @DisplayName("the mesh's enabled: false with no DestinationRule setting turns it off")
        void meshDisabled() {
            PriorityAssignment a = LocalityPriorities.assign(eps, caller("r1"), off, null, true);
            assertThat(a.applied()).isFalse();
            assertThat(a.reason()).contains("mesh-wide").contains("enabled: false");
        }

        @Test
        @DisplayName("the DestinationRule's setting wins over the mesh's, including enabled: true over a disabled mesh")
        void ruleWins() {
            PriorityAssignment enabled = LocalityPriorities.assign(eps, caller("r1"), off, on, true);
            assertThat(enabled.applied()).isTrue();
            assertThat(priorities(enabled)).containsExactly(Map.entry("1.0.0.1", 0), Map.entry("1.0.0.2", 1));

            PriorityAssignment rule = LocalityPriorities.assign(eps, caller("r1"),
                    distribute(rule("*", "r2", 100)), failover("r1", "r3"), true);
            assertThat(rule.mode()).isEqualTo(PriorityAssignment.MODE_FAILOVER);
            assertThat(rule.reason()).contains("DestinationRule");
        }

        @Test
        @DisplayName("not applied: explicit priorities are kept as given and only sorted")
        void explicitPrioritiesWhenNotApplied() {
            List<Endpoint> in = List.of(ep("1.0.0.1:80", "r1").withPriority(5), ep("1.0.0.2:80", "r1").withPriority(2),
                    ep("1.0.0.3:80", "r2"));
            PriorityAssignment a = LocalityPriorities.assign(in, caller("r1"), DEFAULT, null, false);

            assertThat(a.priorities()).extracting(Priority::priority).containsExactly(0, 2, 5);
        }
    }

    @Nested
    @DisplayName("Groups, order and the table (endpoint_builder.go: locality weight is the sum of endpoint weights)")
    class GroupsAndTable {

        @Test
        @DisplayName("group weight is the sum of endpoint weights; localities in first-appearance order")
        void groupWeightsAndOrder() {
            List<Endpoint> in = List.of(ep("1.0.0.1:80", "r2", 4), ep("1.0.0.2:80", "r1", 2), ep("1.0.0.3:80", "r2", 3),
                    ep("1.0.0.4:80", "r1", 1));
            PriorityAssignment a = LocalityPriorities.assign(in, caller("r3"), DEFAULT, null, true);

            assertThat(a.priorities()).hasSize(1);
            List<LocalityGroup> groups = a.priorities().get(0).localities();
            assertThat(groups).extracting(g -> g.locality().toString()).containsExactly("r2", "r1");
            assertThat(groups).extracting(LocalityGroup::weight).containsExactly(7, 3);
            assertThat(groups.get(0).endpoints()).extracting(Endpoint::host).containsExactly("1.0.0.1", "1.0.0.3");
        }

        @Test
        @DisplayName("scenario 4: endpoints with region only or no locality are kept, each under its own locality")
        void partialLocalities() {
            List<Endpoint> in = List.of(ep("1.0.0.1:80", ""), ep("1.0.0.2:80", "r1"), ep("1.0.0.3:80", "r1/z1"),
                    ep("1.0.0.4:80", ""));
            PriorityAssignment a = LocalityPriorities.assign(in, caller("r1/z1"), failover("r1", "r2"), null, true);

            assertThat(a.hostCount()).isEqualTo(4);
            assertThat(priorities(a)).containsOnly(
                    Map.entry("1.0.0.3", 0), Map.entry("1.0.0.2", 1), Map.entry("1.0.0.1", 2), Map.entry("1.0.0.4", 2));
            assertThat(a.priorities().get(2).localities()).singleElement()
                    .satisfies(g -> assertThat(g.locality()).isEqualTo(Locality.UNKNOWN));
        }

        @Test
        @DisplayName("toTable carries every endpoint's final priority and locality weight")
        void toTable() {
            List<Endpoint> in = List.of(ep("1.0.0.1:80", "r2", 4), ep("1.0.0.2:80", "r1", 2), ep("1.0.0.3:80", "r1", 3));
            PriorityAssignment a = LocalityPriorities.assign(in, caller("r1"), DEFAULT, null, true);
            EndpointTable t = a.toTable();

            assertThat(t.size()).isEqualTo(3);
            assertThat(t.priorityCount()).isEqualTo(2);
            int r2 = t.indexOf("1.0.0.1:80");
            assertThat(t.priority(r2)).isEqualTo(1);
            assertThat(t.localityWeight(r2)).isEqualTo(4);
            assertThat(t.priority(t.indexOf("1.0.0.3:80"))).isZero();
            assertThat(t.localityWeight(t.indexOf("1.0.0.3:80"))).isEqualTo(5);
        }

        @Test
        @DisplayName("excluded endpoints are left out of the table")
        void tableLeavesOutExcluded() {
            List<Endpoint> in = List.of(ep("1.0.0.1:80", "r1"), ep("1.0.0.2:80", "r2"));
            PriorityAssignment a = LocalityPriorities.assign(in, caller("r1"), distribute(rule("r1", "r1", 100)),
                    null, false);

            assertThat(a.toTable().size()).isEqualTo(1);
            assertThat(a.priorityOf("1.0.0.2:80")).isEqualTo(-1);
            assertThat(a.priorityOf("1.0.0.1:80")).isZero();
        }

        @Test
        @DisplayName("no endpoints: empty result, no exception")
        void empty() {
            PriorityAssignment a = LocalityPriorities.assign(List.of(), caller("r1"), DEFAULT, null, true);
            assertThat(a.priorities()).isEmpty();
            assertThat(a.toTable().size()).isZero();
        }

        @Test
        @DisplayName("the result is deterministic")
        void deterministic() {
            List<Endpoint> in = Arrays.asList(ep("1.0.0.1:80", "r2"), ep("1.0.0.2:80", "r1/z1"), ep("1.0.0.3:80", "r1/z2"));
            LocalityLbSetting s = distribute(rule("*", "r1/*", 50, "r1/z1", 30, "r2", 20));
            assertThat(LocalityPriorities.assign(in, caller("r1/z1"), s, null, true))
                    .isEqualTo(LocalityPriorities.assign(in, caller("r1/z1"), s, null, true));
        }
    }

    @Nested
    @DisplayName("Invalid input fails with IllegalArgumentException naming the field and value")
    class Invalid {

        @Test
        void duplicateAddress() {
            List<Endpoint> in = List.of(ep("1.0.0.1:80", "r1"), ep("1.0.0.1:80", "r2"));
            assertThatThrownBy(() -> LocalityPriorities.assign(in, caller("r1"), DEFAULT, null, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("endpoints[1].address: duplicate '1.0.0.1:80' (also endpoints[0])");
        }

        @Test
        void nullEndpoint() {
            List<Endpoint> in = Arrays.asList(ep("1.0.0.1:80", "r1"), null);
            assertThatThrownBy(() -> LocalityPriorities.assign(in, caller("r1"), DEFAULT, null, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("endpoints[1]: must not be null");
        }

        @Test
        void nullListAndCaller() {
            assertThatThrownBy(() -> LocalityPriorities.assign(null, caller("r1"), DEFAULT, null, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("endpoints: must not be null");
            assertThatThrownBy(() -> LocalityPriorities.assign(List.of(), null, DEFAULT, null, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("caller: must not be null");
        }
    }
}
