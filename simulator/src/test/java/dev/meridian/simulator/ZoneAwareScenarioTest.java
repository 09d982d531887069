package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.Clocks;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LocalityPlan;
import dev.meridian.lb.PriorityPlan;
import org.junit.jupiter.api.Test;

/**
 * Zone-aware routing through the scenario file's {@code localCluster}, as Envoy documents it
 * (intro/arch_overview/upstream/load_balancing/zone_aware): when the caller's zone holds a larger
 * share of the caller's service than of the destination, only the destination's local share stays
 * local and the rest goes to zones with residual capacity.
 */
class ZoneAwareScenarioTest {

    private static final String SCENARIO = """
            name: zone-aware
            caller: {locality: r1/z1}
            destinationRule:
              apiVersion: networking.istio.io/v1
              kind: DestinationRule
              metadata: {name: reviews}
              spec:
                host: reviews
                trafficPolicy:
                  loadBalancer: {simple: ROUND_ROBIN}
            endpoints:
              - {address: "10.0.1.1:80", locality: r1/z1}
              - {address: "10.0.1.2:80", locality: r1/z1}
              - {address: "10.0.2.1:80", locality: r1/z2}
              - {address: "10.0.2.2:80", locality: r1/z2}
              - {address: "10.0.2.3:80", locality: r1/z2}
              - {address: "10.0.2.4:80", locality: r1/z2}
              - {address: "10.0.2.5:80", locality: r1/z2}
              - {address: "10.0.2.6:80", locality: r1/z2}
            %s
            """;

    private static final String LOCAL = """
            localCluster:
              endpoints:
                - {address: "10.9.1.1:80", locality: r1/z1}
                - {address: "10.9.1.2:80", locality: r1/z1}
                - {address: "10.9.1.3:80", locality: r1/z1}
                - {address: "10.9.2.1:80", locality: r1/z2}
                - {address: "10.9.2.2:80", locality: r1/z2}
                - {address: "10.9.2.3:80", locality: r1/z2}
            """;

    private static double z1Share(String yaml) {
        Scenario s = Scenarios.parse("zone-aware.yaml", yaml);
        MeshClient c = s.newClient(s.caller(), s.endpoints(), Clocks.manual(), RandomSource.seeded(3));
        PriorityPlan p0 = c.plan().priorities().get(0);
        double share = 0;
        for (LocalityPlan l : p0.localities()) {
            if (l.locality().zone().equals("z1")) {
                share += l.share();
            }
        }
        return share;
    }

    @Test
    void withoutALocalClusterHostsShareEvenly() {
        assertThat(z1Share(SCENARIO.formatted(""))).isCloseTo(25.0, within(0.01));
    }

    @Test
    void localClusterKeepsTheDestinationsLocalShareLocal() {
        // Caller's service: 50% in z1; destination: 25% in z1. Envoy routes 25/50 = 50% of the
        // caller's requests locally and spreads the rest over zones with residual capacity (z2).
        assertThat(z1Share(SCENARIO.formatted(LOCAL))).isCloseTo(50.0, within(0.01));
    }

    @Test
    void belowTheMinimumClusterSizeZoneAwareRoutingIsOff() {
        // min_cluster_size counts the destination's healthy hosts in priority 0: 8 < 9.
        String small = LOCAL + "  minClusterSize: 9\n";
        assertThat(z1Share(SCENARIO.formatted(small))).isCloseTo(25.0, within(0.01));
    }
}
