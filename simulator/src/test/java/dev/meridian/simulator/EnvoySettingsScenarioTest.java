package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.Clocks;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LoadPlan;
import dev.meridian.lb.LocalityPlan;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Envoy-side settings a scenario can give: {@code localCluster.forceLocalZone} and
 * {@code localityBasis} (Envoy's {@code ZoneAwareLbConfig}, {@code regenerateLocalityRoutingStructures}
 * and {@code calculateLocalityPercentages} in {@code load_balancer_impl.cc}), and the {@code envoy:}
 * block ({@code ClusterLoadAssignment.policy.overprovisioning_factor}, {@code weighted_priority_health},
 * least request's {@code active_request_bias}), each reaching the plan.
 */
class EnvoySettingsScenarioTest {

    private static final String SCENARIO = """
            name: knobs
            caller: {locality: r1/z1}
            %s
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
              - {address: "10.0.2.1:80", locality: r1/z2, weight: 4}
              - {address: "10.0.2.2:80", locality: r1/z2, weight: 4}
              - {address: "10.0.2.3:80", locality: r1/z2, weight: 4}
              - {address: "10.0.2.4:80", locality: r1/z2, weight: 4}
              - {address: "10.0.2.5:80", locality: r1/z2, weight: 4}
              - {address: "10.0.2.6:80", locality: r1/z2, weight: 4}
            %s
            """;

    private static LoadPlan plan(String mesh, String extra) {
        Scenario s = Scenarios.parse("knobs.yaml", SCENARIO.formatted(mesh, extra));
        return s.newClient(s.caller(), s.endpoints(), Clocks.manual(), RandomSource.seeded(3)).plan();
    }

    private static double z1Share(LoadPlan plan) {
        double share = 0;
        for (LocalityPlan l : plan.priorities().get(0).localities()) {
            if (l.locality().zone().equals("z1")) {
                share += l.share();
            }
        }
        return share;
    }

    private static final String ONE_ZONE = """
            localCluster:
              endpoints:
                - {address: "10.9.1.1:80", locality: r1/z1}
                - {address: "10.9.1.2:80", locality: r1/z1}
            """;

    @Test
    @DisplayName("forceLocalZone: a local cluster in one zone exits early without it; with it (min_size 1 <= 2 healthy in z1) everything stays in z1")
    void forceLocalZone() {
        LoadPlan plain = plan("", ONE_ZONE);
        assertThat(plain.zoneAware().state()).isEqualTo("NO_LOCALITY_ROUTING");
        // Round robin over the whole set: z1 holds 2 of 26 weight units.
        assertThat(z1Share(plain)).isCloseTo(100 * 2 / 26.0, within(1e-9));
        LoadPlan forced = plan("", ONE_ZONE + "  forceLocalZone: {}\n");
        assertThat(forced.zoneAware().state()).isEqualTo("LOCALITY_DIRECT");
        assertThat(forced.zoneAware().forceLocalZoneMinSize()).isEqualTo(1);
        assertThat(z1Share(forced)).isCloseTo(100.0, within(1e-9));
        LoadPlan tooFew = plan("", ONE_ZONE + "  forceLocalZone: {minSize: 3}\n");
        assertThat(tooFew.zoneAware().state()).isEqualTo("LOCALITY_RESIDUAL");
    }

    private static final String TWO_ZONES = """
            localCluster:
              endpoints:
                - {address: "10.9.1.1:80", locality: r1/z1}
                - {address: "10.9.2.1:80", locality: r1/z2}
                - {address: "10.9.2.2:80", locality: r1/z2}
                - {address: "10.9.2.3:80", locality: r1/z2}
              minClusterSize: 6
            """;

    @Test
    @DisplayName("localityBasis: local z1 25%; upstream z1 by count 2/8 = 2500 >= 2500 -> direct; by weight 2/26 = 769 -> 30.76% stays")
    void localityBasis() {
        LoadPlan byCount = plan("", TWO_ZONES);
        assertThat(byCount.zoneAware().state()).isEqualTo("LOCALITY_DIRECT");
        assertThat(z1Share(byCount)).isCloseTo(100.0, within(1e-9));
        LoadPlan byWeight = plan("", TWO_ZONES + "  localityBasis: HEALTHY_HOSTS_WEIGHT\n");
        assertThat(byWeight.zoneAware().state()).isEqualTo("LOCALITY_RESIDUAL");
        // Upstream z1 10000 * 2 / 26 = 769, local z1 10000 * 1 / 4 = 2500: 769 * 10000 / 2500 = 3076.
        assertThat(z1Share(byWeight)).isCloseTo(30.76, within(1e-9));
    }

    @Test
    @DisplayName("envoy: the assignment's overprovisioning factor, weighted_priority_health and active_request_bias reach the balancer")
    void envoyBlock() {
        LoadPlan plan = plan("", """
                envoy:
                  overprovisioningFactor: 120
                  weightedPriorityHealth: true
                  activeRequestBias: 2.5
                """);
        assertThat(plan.overprovisioningFactor()).isEqualTo(120);
        assertThat(plan.weightedPriorityHealth()).isTrue();
        assertThat(plan.activeRequestBias()).isEqualTo(2.5);
        LoadPlan none = plan("", "");
        assertThat(none.overprovisioningFactor()).isEqualTo(140);
        assertThat(none.weightedPriorityHealth()).isFalse();
        assertThat(none.zoneAware()).isNull();
    }

    @Test
    @DisplayName("bad Envoy-side settings are refused naming the field and the value")
    void validation() {
        assertThatThrownBy(() -> plan("", "envoy: {overprovisioningFactor: 0}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overprovisioningFactor")
                .hasMessageContaining("0");
        assertThatThrownBy(() -> plan("", "envoy: {activeRequestBias: -1}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("activeRequestBias")
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> plan("", "envoy: {weightedPriorityHealth: maybe}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weightedPriorityHealth")
                .hasMessageContaining("maybe");
        assertThatThrownBy(() -> plan("", ONE_ZONE + "  localityBasis: HOSTS\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("localityBasis")
                .hasMessageContaining("HOSTS");
        assertThatThrownBy(() -> plan("", ONE_ZONE + "  forceLocalZone: {minSize: -2}\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minSize")
                .hasMessageContaining("-2");
        // Istio 1.6 ships Envoy 1.14, which has no force_local_zone.
        assertThatThrownBy(() -> plan("mesh: {istioVersion: \"1.6\"}", ONE_ZONE + "  forceLocalZone: {}\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("forceLocalZone")
                .hasMessageContaining("1.14");
    }
}
