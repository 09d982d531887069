package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.LoadPlan;
import dev.meridian.lb.LocalityPlan;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.PriorityAssignment;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A scenario built from what an xDS control plane sent ({@link Scenario#fromControlPlane}): the
 * caller runs the priorities and locality weights of the {@code ClusterLoadAssignment} and the
 * cluster's settings as they are, and keeps them when a simulation removes endpoints and adds them
 * back, as an Envoy does when its control plane sends the same assignment without and then with
 * them (EDS replaces the host set per priority: {@code EdsClusterImpl::BatchUpdateHelper::batchUpdate}
 * in {@code source/extensions/clusters/eds/eds.cc}; nothing renumbers priorities).
 */
class ControlPlaneScenarioTest {

    private static final Locality R1Z1 = Locality.parse("r1/z1");
    private static final Locality R2Z1 = Locality.parse("r2/z1");
    private static final Locality R2Z2 = Locality.parse("r2/z2");

    /**
     * Sent to a caller in r1/z1, against Istio's proximity order: r2 at priority 0 with locality
     * weights 1 (r2/z1) and 3 (r2/z2), the caller's own zone at priority 2 with weight 5, and no
     * priority 1 (a gap Envoy keeps as an empty host set).
     */
    private static EndpointTable sent() {
        return EndpointTable.builder()
                .add(Endpoint.of("10.2.1.1:80", R2Z1), 0, 1)
                .add(Endpoint.of("10.2.1.2:80", R2Z1), 0, 1)
                .add(Endpoint.of("10.2.2.1:80", R2Z2), 0, 3)
                .add(Endpoint.of("10.2.2.2:80", R2Z2), 0, 3)
                .add(Endpoint.of("10.1.1.1:80", R1Z1), 2, 5)
                .build();
    }

    private static final LbConfig LOCALITY_WEIGHTED = LbConfig.builder().policy(LbPolicy.ROUND_ROBIN)
            .localityWeighted(true).panicThreshold(0).build();

    private static Scenario scenario(OutlierDetectionConfig outlier) {
        return Scenario.fromControlPlane("cds.json", "from a control plane", R1Z1, "reviews", sent(),
                LOCALITY_WEIGHTED, outlier, List.of("cluster.circuit_breakers: not modelled"));
    }

    private static MeshClient client(Scenario s) {
        return s.newClient(s.caller(), s.endpoints(), Clocks.manual(), RandomSource.seeded(7));
    }

    private static double share(LoadPlan plan, int priority, Locality locality) {
        for (LocalityPlan l : plan.priorities().get(priority).localities()) {
            if (l.locality().equals(locality)) {
                return l.share();
            }
        }
        return 0;
    }

    /**
     * Locality-weighted balancing over the sent weights: all hosts healthy, so each locality's
     * effective weight is its weight × min(1, 1.4 × 2/2) = its weight
     * ({@code HostSetImpl::effectiveLocalityWeight}, upstream_impl.cc), and r2/z2 takes 3/(1+3) = 75%
     * of priority 0, which takes 100% (health min(100, 140 × 4/4), load_balancer_impl.cc
     * {@code recalculatePerPriorityState}). Istio's proximity rules would have put r1/z1 first.
     */
    @Test
    @DisplayName("the caller runs the priorities and locality weights as sent, gap included, and the settings as given")
    void runsTheAssignmentAsSent() {
        Scenario s = scenario(null);
        MeshClient c = client(s);

        assertThat(s.callerMode()).isEqualTo(CallerMode.XDS);
        assertThat(s.istioRelease()).isNull();
        assertThat(s.policy()).isNull();
        assertThat(s.envoyMinor()).isEqualTo(LbConfig.LATEST_ENVOY_MINOR);
        assertThat(s.host()).isEqualTo("reviews");
        assertThat(s.warnings()).containsExactly("cluster.circuit_breakers: not modelled");
        EndpointTable t = c.table();
        assertThat(t.endpoints()).isEqualTo(sent().endpoints());
        for (int h = 0; h < t.size(); h++) {
            assertThat(t.priority(h)).isEqualTo(sent().priority(h));
            assertThat(t.localityWeight(h)).isEqualTo(sent().localityWeight(h));
        }
        LoadPlan plan = c.plan();
        assertThat(plan.policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(plan.panicThreshold()).isZero();
        assertThat(plan.priorities()).extracting(p -> p.healthyLoad()).containsExactly(100, 0, 0);
        assertThat(plan.priorities().get(1).hosts()).isZero();
        assertThat(share(plan, 0, R2Z2)).isCloseTo(75.0, within(1e-9));
        assertThat(share(plan, 0, R2Z1)).isCloseTo(25.0, within(1e-9));
        assertThat(c.detector()).isNull();

        PriorityAssignment a = c.assignment();
        assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_CONTROL_PLANE);
        assertThat(a.applied()).isFalse();
        assertThat(a.localityWeighted()).isTrue();
        assertThat(a.reason()).contains("as the control plane sent them");
        assertThat(a.priorities()).extracting(p -> p.priority()).containsExactly(0, 2);
        assertThat(a.priorities().get(0).localities()).extracting(g -> g.weight()).containsExactly(1, 3);
        assertThat(a.priorities().get(1).localities().get(0).weight()).isEqualTo(5);
    }

    @Test
    @DisplayName("the cluster's outlier detection runs as given")
    void runsTheOutlierDetectionAsGiven() {
        OutlierDetectionConfig od = OutlierDetectionConfig.builder().consecutive5xx(2).maxEjectionPercent(100).build();
        MeshClient c = client(scenario(od));
        assertThat(c.detector()).isNotNull();
        int host = c.table().indexOf("10.2.2.1:80");
        c.record(host, 503);
        c.record(host, 503);
        assertThat(c.ejected(host)).isTrue();
    }

    @Test
    @DisplayName("endpoints removed and added back keep the priority and locality weight they were sent with")
    void setEndpointsKeepsWhatWasSent() {
        Scenario s = scenario(null);
        MeshClient c = client(s);
        List<Endpoint> all = s.endpoints();

        c.setEndpoints(all.stream().filter(e -> !e.locality().equals(R2Z2)).toList());
        EndpointTable t = c.table();
        assertThat(t.size()).isEqualTo(3);
        assertThat(t.priority(t.indexOf("10.1.1.1:80"))).isEqualTo(2);
        assertThat(t.localityWeight(t.indexOf("10.1.1.1:80"))).isEqualTo(5);
        assertThat(c.plan().priorities()).extracting(p -> p.healthyLoad()).containsExactly(100, 0, 0);

        c.setEndpoints(all.stream().filter(e -> e.locality().equals(R1Z1)).toList());
        // Priority 0 and 1 are empty now; priority 2 still is priority 2 and takes all the load.
        assertThat(c.plan().priorities()).extracting(p -> p.healthyLoad()).containsExactly(0, 0, 100);
        assertThat(c.assignment().priorities()).extracting(p -> p.priority()).containsExactly(2);

        c.setEndpoints(all);
        t = c.table();
        for (Endpoint e : all) {
            int h = t.indexOf(e.address());
            assertThat(t.priority(h)).isEqualTo(sent().priority(sent().indexOf(e.address())));
            assertThat(t.localityWeight(h)).isEqualTo(sent().localityWeight(sent().indexOf(e.address())));
        }
        assertThat(share(c.plan(), 0, R2Z2)).isCloseTo(75.0, within(1e-9));
    }

    @Test
    @DisplayName("a simulation's remove and add faults go through setEndpoints and keep the sent weights")
    void aSimulationKeepsTheSentWeightsAcrossFaults() {
        Scenario s = scenario(null);
        Scenario faults = Scenarios.parse("faults.yaml", """
                name: faults
                simulation:
                  duration: 3m
                  faults:
                    - {at: 1m, remove: {region: r2}}
                    - {at: 2m, add: {region: r2}}
                """);
        SimulationSpec spec = SimulationSpec.parse(faults.source(), faults.simulation(), s.caller(), s.endpoints());
        SimulationResult r = Simulation.run(s, spec, null);

        List<SimulationResult.Phase> phases = r.phases();
        assertThat(phases).hasSize(3);
        assertThat(phases.get(0).priorityRequests()[0]).isEqualTo(phases.get(0).requests());
        assertThat(phases.get(1).priorityRequests()[2]).isEqualTo(phases.get(1).requests());
        SimulationResult.Phase back = phases.get(2);
        assertThat(back.priorityRequests()[0]).isEqualTo(back.requests());
        long z2 = back.endpointRequests()[2] + back.endpointRequests()[3];
        assertThat((double) z2 / back.requests()).isCloseTo(0.75, within(0.02));
        assertThat(r.notes()).contains("cluster.circuit_breakers: not modelled");
        assertThat(r.notes()).anyMatch(n -> n.startsWith("priorities: each endpoint's priority"));
    }

    @Test
    @DisplayName("missing arguments are refused naming them; a scenario file cannot ask for the xds mode")
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> Scenario.fromControlPlane("f", "", R1Z1, " ", sent(), LOCALITY_WEIGHTED, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("destination: must not be blank, got ' '");
        assertThatThrownBy(() -> Scenario.fromControlPlane("f", "", R1Z1, "d", null, LOCALITY_WEIGHTED, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("table and lb: must not be null");
        assertThatThrownBy(() -> Scenarios.parse("x.yaml", "name: x\ncaller: {mode: xds}\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("x.yaml: caller.mode: must be istio or kube-proxy, got 'xds'");
        MeshClient c = client(scenario(null));
        assertThatThrownBy(() -> c.setEndpoints(List.of(Endpoint.of("10.9.9.9:80", R1Z1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'10.9.9.9:80'");
    }
}
