package dev.meridian.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Properties of Istio's locality priorities over random topologies, callers and settings
 * (istio/istio {@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go}: applyLocalityFailover,
 * applyFailoverPriorities, applyLocalityWeights; {@code pilot/pkg/networking/util/util.go}: LbPriority).
 */
class LocalityPrioritiesProperties {

    private static final String NET = "topology.istio.io/network";

    /** One generated case. */
    record Case(List<Endpoint> endpoints, Caller caller, LocalityLbSetting mesh, LocalityLbSetting rule,
                boolean outlier) {

        PriorityAssignment assign() {
            return LocalityPriorities.assign(endpoints, caller, mesh, rule, outlier);
        }
    }

    @Property
    @Label("every endpoint is in exactly one priority or excluded, and only distribute excludes")
    void everyEndpointExactlyOnce(@ForAll("cases") Case c) {
        PriorityAssignment a = c.assign();

        Map<Endpoint, Integer> seen = new IdentityHashMap<>();
        for (Priority p : a.priorities()) {
            assertThat(p.localities()).isNotEmpty();
            for (LocalityGroup g : p.localities()) {
                for (Endpoint e : g.endpoints()) {
                    seen.merge(e, 1, Integer::sum);
                }
            }
        }
        for (ExcludedEndpoint x : a.excluded()) {
            seen.merge(x.endpoint(), 1, Integer::sum);
        }
        assertThat(seen).hasSize(c.endpoints().size());
        assertThat(seen.values()).allMatch(n -> n == 1);
        for (Endpoint e : c.endpoints()) {
            assertThat(seen).containsKey(e);
        }
        if (!a.excluded().isEmpty()) {
            assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_DISTRIBUTE);
            assertThat(a.applied()).isTrue();
        }
        assertThat(a.applied()).isEqualTo(!a.mode().equals(PriorityAssignment.MODE_NONE));
        assertThat(a.reason()).isNotBlank();
    }

    @Property
    @Label("failover priorities are contiguous from 0; otherwise explicit priorities are kept as given")
    void contiguousOrExplicit(@ForAll("cases") Case c) {
        PriorityAssignment a = c.assign();
        if (a.applied() && !a.mode().equals(PriorityAssignment.MODE_DISTRIBUTE)) {
            for (int i = 0; i < a.priorities().size(); i++) {
                assertThat(a.priorities().get(i).priority()).isEqualTo(i);
            }
        } else {
            for (Priority p : a.priorities()) {
                for (Endpoint e : p.endpoints()) {
                    assertThat(p.priority()).isEqualTo(Math.max(0, e.priority()));
                }
            }
        }
    }

    @Property
    @Label("without failover rules, sharing more of the caller's locality never means a later priority")
    void proximityIsMonotonic(@ForAll("plainEndpoints") List<Endpoint> endpoints,
                              @ForAll("localities") Locality callerLocality) {
        PriorityAssignment a = LocalityPriorities.assign(endpoints, Caller.at(callerLocality), LocalityLbSetting.DEFAULT,
                null, true);

        Map<Endpoint, Integer> priority = priorities(a);
        for (Endpoint x : endpoints) {
            for (Endpoint y : endpoints) {
                int dx = sharedDepth(callerLocality, x.locality());
                int dy = sharedDepth(callerLocality, y.locality());
                if (dx > dy) {
                    assertThat(priority.get(x)).isLessThan(priority.get(y));
                } else if (dx == dy) {
                    assertThat(priority.get(x)).isEqualTo(priority.get(y));
                }
            }
        }
    }

    @Property
    @Label("with failoverPriority alone, matching a longer prefix of the labels never means a later priority")
    void labelPrefixIsMonotonic(@ForAll("plainEndpoints") List<Endpoint> endpoints,
                                @ForAll("localities") Locality callerLocality,
                                @ForAll("networks") String network) {
        List<String> labels = List.of(NET, LocalityPriorities.LABEL_REGION, LocalityPriorities.LABEL_ZONE);
        Caller caller = new Caller(callerLocality, Map.of(NET, network));
        PriorityAssignment a = LocalityPriorities.assign(endpoints, caller,
                new LocalityLbSetting(null, List.of(), List.of(), labels), null, true);

        Map<String, String> mine = LocalityPriorities.callerLabels(caller);
        Map<Endpoint, Integer> priority = priorities(a);
        for (Endpoint x : endpoints) {
            for (Endpoint y : endpoints) {
                int px = matchedPrefix(mine, LocalityPriorities.endpointLabels(x), labels);
                int py = matchedPrefix(mine, LocalityPriorities.endpointLabels(y), labels);
                if (px > py) {
                    assertThat(priority.get(x)).isLessThan(priority.get(y));
                }
            }
        }
    }

    @Property
    @Label("toTable round-trips host counts, priorities and locality weights")
    void tableRoundTrips(@ForAll("cases") Case c) {
        PriorityAssignment a = c.assign();
        EndpointTable t = a.toTable();

        assertThat(t.size()).isEqualTo(a.hostCount());
        int expectedCount = a.priorities().isEmpty() ? 0 : a.priorities().get(a.priorities().size() - 1).priority() + 1;
        assertThat(t.priorityCount()).isEqualTo(expectedCount);
        Map<String, Integer> weightByAddress = new HashMap<>();
        for (Priority p : a.priorities()) {
            for (LocalityGroup g : p.localities()) {
                for (Endpoint e : g.endpoints()) {
                    weightByAddress.put(e.address(), g.weight());
                }
            }
        }
        for (int id = 0; id < t.size(); id++) {
            String address = t.endpoint(id).address();
            assertThat(t.priority(id)).isEqualTo(a.priorityOf(address));
            assertThat(t.localityWeight(id)).isEqualTo(weightByAddress.get(address));
        }
    }

    @Property
    @Label("one group per locality per priority, endpoints in input order, weight = sum unless distributed")
    void groupsAreWellFormed(@ForAll("cases") Case c) {
        PriorityAssignment a = c.assign();
        Map<Endpoint, Integer> inputIndex = new IdentityHashMap<>();
        for (int i = 0; i < c.endpoints().size(); i++) {
            inputIndex.put(c.endpoints().get(i), i);
        }
        Map<Locality, Integer> firstSeen = new LinkedHashMap<>();
        for (Endpoint e : c.endpoints()) {
            firstSeen.putIfAbsent(e.locality(), firstSeen.size());
        }
        boolean distributed = a.applied() && a.mode().equals(PriorityAssignment.MODE_DISTRIBUTE);
        for (Priority p : a.priorities()) {
            Set<Locality> localities = new HashSet<>();
            int lastLocalityOrder = -1;
            for (LocalityGroup g : p.localities()) {
                assertThat(localities.add(g.locality())).isTrue();
                assertThat(firstSeen.get(g.locality())).isGreaterThan(lastLocalityOrder);
                lastLocalityOrder = firstSeen.get(g.locality());
                long sum = 0;
                int lastIndex = -1;
                for (Endpoint e : g.endpoints()) {
                    assertThat(e.locality()).isEqualTo(g.locality());
                    assertThat(inputIndex.get(e)).isGreaterThan(lastIndex);
                    lastIndex = inputIndex.get(e);
                    sum += e.weight();
                }
                if (distributed) {
                    assertThat(g.weight()).isBetween(1, 100);
                } else {
                    assertThat(g.weight()).isEqualTo((int) sum);
                }
            }
        }
    }

    @Property
    @Label("the same input gives the same assignment")
    void deterministic(@ForAll("cases") Case c) {
        assertThat(c.assign()).isEqualTo(c.assign());
    }

    // ---- helpers

    static Map<Endpoint, Integer> priorities(PriorityAssignment a) {
        Map<Endpoint, Integer> out = new IdentityHashMap<>();
        for (Priority p : a.priorities()) {
            for (Endpoint e : p.endpoints()) {
                out.put(e, p.priority());
            }
        }
        return out;
    }

    /** How much of the caller's locality an endpoint shares: 0 other region .. 3 same subzone. */
    static int sharedDepth(Locality caller, Locality endpoint) {
        if (!caller.region().equals(endpoint.region())) {
            return 0;
        }
        if (!caller.zone().equals(endpoint.zone())) {
            return 1;
        }
        return caller.subzone().equals(endpoint.subzone()) ? 3 : 2;
    }

    static int matchedPrefix(Map<String, String> caller, Map<String, String> endpoint, List<String> labels) {
        int n = 0;
        for (String label : labels) {
            if (!caller.getOrDefault(label, "").equals(endpoint.getOrDefault(label, ""))) {
                break;
            }
            n++;
        }
        return n;
    }

    // ---- generators

    @Provide
    Arbitrary<Locality> localities() {
        Arbitrary<String> region = Arbitraries.of("", "r1", "r2", "r3");
        Arbitrary<String> zone = Arbitraries.of("", "z1", "z2");
        Arbitrary<String> subzone = Arbitraries.of("", "s1", "s2");
        return Combinators.combine(region, zone, subzone).as(Locality::of);
    }

    @Provide
    Arbitrary<String> networks() {
        return Arbitraries.of("n1", "n2");
    }

    /** Endpoints without explicit priorities. */
    @Provide
    Arbitrary<List<Endpoint>> plainEndpoints() {
        return endpoints(Arbitraries.just(Endpoint.NO_PRIORITY));
    }

    private Arbitrary<List<Endpoint>> endpoints(Arbitrary<Integer> explicitPriority) {
        Arbitrary<Map<String, String>> labels = Arbitraries.of(Map.of(), Map.of(NET, "n1"), Map.of(NET, "n2"),
                Map.of(LocalityPriorities.LABEL_REGION, "r1"));
        Arbitrary<Object[]> one = Combinators.combine(localities(), Arbitraries.integers().between(1, 5), labels,
                explicitPriority).as((l, w, lb, p) -> new Object[] {l, w, lb, p});
        return one.list().ofMaxSize(20).map(specs -> {
            List<Endpoint> out = new ArrayList<>(specs.size());
            for (int i = 0; i < specs.size(); i++) {
                Object[] s = specs.get(i);
                @SuppressWarnings("unchecked")
                Map<String, String> lb = (Map<String, String>) s[2];
                out.add(new Endpoint("10.0." + (i / 250) + "." + (i % 250 + 1), 8080, (Locality) s[0], lb,
                        (Integer) s[1], HealthStatus.HEALTHY, (Integer) s[3]));
            }
            return out;
        });
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Integer> explicit = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(Endpoint.NO_PRIORITY)),
                Tuple.of(1, Arbitraries.integers().between(0, 3)));
        Arbitrary<Caller> callers = Combinators.combine(localities(),
                Arbitraries.of(Map.<String, String>of(), Map.of(NET, "n1"), Map.of(NET, "n2")))
                .as(Caller::new);
        return Combinators.combine(endpoints(explicit), callers, settings().injectNull(0.3),
                settings().injectNull(0.5), Arbitraries.of(true, false)).as(Case::new);
    }

    private Arbitrary<LocalityLbSetting> settings() {
        Arbitrary<Boolean> enabled = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just((Boolean) null)),
                Tuple.of(2, Arbitraries.just(Boolean.TRUE)),
                Tuple.of(1, Arbitraries.just(Boolean.FALSE)));
        Arbitrary<List<LocalityLbSetting.Failover>> failover = Arbitraries.of(
                List.of(), List.of(new LocalityLbSetting.Failover("r1", "r2")),
                List.of(new LocalityLbSetting.Failover("r2", "r3"), new LocalityLbSetting.Failover("r1", "r3")));
        Arbitrary<List<String>> failoverPriority = Arbitraries.of(List.of(), List.of(NET),
                List.of(NET, LocalityPriorities.LABEL_REGION), List.of(LocalityPriorities.LABEL_REGION + "=r2", NET));
        Arbitrary<LocalityLbSetting> failoverSettings = Combinators.combine(enabled, failover, failoverPriority)
                .as((e, f, fp) -> new LocalityLbSetting(e, List.of(), f, fp));
        Arbitrary<LocalityLbSetting> distributeSettings = Combinators.combine(enabled, distributeRules(),
                failoverPriority).as((e, d, fp) -> new LocalityLbSetting(e, d, List.of(), fp));
        return Arbitraries.frequencyOf(
                Tuple.of(3, failoverSettings),
                Tuple.of(2, distributeSettings),
                Tuple.of(1, Arbitraries.just(LocalityLbSetting.DEFAULT)));
    }

    private Arbitrary<List<LocalityLbSetting.Distribute>> distributeRules() {
        Arbitrary<String> from = Arbitraries.of("*", "r1", "r1/*", "r2/z1", "r3/z2/s1");
        Arbitrary<List<String>> to = Arbitraries.of("*", "r1", "r1/*", "r1/z1", "r2", "r2/z2/s1", "r3/*")
                .list().ofMinSize(1).ofMaxSize(3).uniqueElements();
        Arbitrary<LocalityLbSetting.Distribute> rule = Combinators.combine(from, to,
                Arbitraries.integers().between(1, 98), Arbitraries.integers().between(1, 98)).as((f, t, a, b) -> {
                    Map<String, Integer> weights = new LinkedHashMap<>();
                    int first = Math.min(a, 100 - t.size() + 1);
                    if (t.size() == 1) {
                        weights.put(t.get(0), 100);
                    } else if (t.size() == 2) {
                        weights.put(t.get(0), first);
                        weights.put(t.get(1), 100 - first);
                    } else {
                        int second = 1 + (b % (100 - first - 1));
                        weights.put(t.get(0), first);
                        weights.put(t.get(1), second);
                        weights.put(t.get(2), 100 - first - second);
                    }
                    return new LocalityLbSetting.Distribute(f, weights);
                });
        return rule.list().ofMinSize(1).ofMaxSize(2);
    }
}
