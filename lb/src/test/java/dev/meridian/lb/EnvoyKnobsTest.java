package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Envoy-side settings the xDS path carries and Istio does not write: {@code weighted_priority_health}
 * and the assignment's {@code overprovisioning_factor} ({@code LoadBalancerBase::recalculatePerPriorityState}
 * in {@code source/extensions/load_balancing_policies/common/load_balancer_impl.cc}),
 * {@code zone_aware_lb_config.force_local_zone} and {@code locality_basis}
 * ({@code ZoneAwareLoadBalancerBase::earlyExitNonLocalityRouting},
 * {@code regenerateLocalityRoutingStructures}, {@code calculateLocalityPercentages}), and the
 * fall-through of {@code hostSourceToUse} from locality weighting to zone-aware routing.
 */
class EnvoyKnobsTest {

    private static Locality[] xyz() {
        return new Locality[] {Tables.X, Tables.Y, Tables.Z};
    }

    /** P0 only; per locality X, Y, Z that many healthy hosts of the given weight. */
    private static EndpointTable upstream(int[] counts, int[] weights) {
        EndpointTable.Builder t = EndpointTable.builder();
        int n = 0;
        for (int l = 0; l < counts.length; l++) {
            for (int i = 0; i < counts[l]; i++) {
                t.add(Tables.endpoint(n++, xyz()[l], HealthStatus.HEALTHY, weights[l]), 0, 0);
            }
        }
        return t.build();
    }

    private static List<Double> shares(LoadBalancer lb) {
        return lb.plan().priorities().get(0).localities().stream().map(LocalityPlan::share).toList();
    }

    @Test
    @DisplayName("weighted_priority_health: P0 {healthy w1, unhealthy w3}, P1 healthy: by count 140*1/2=70 -> 70/30, by weight 140*1/4=35 -> 35/65")
    void weightedPriorityHealth() {
        EndpointTable.Builder b = EndpointTable.builder();
        b.add(Tables.endpoint(0, Tables.X, HealthStatus.HEALTHY, 1), 0, 0);
        b.add(Tables.endpoint(1, Tables.X, HealthStatus.UNHEALTHY, 3), 0, 0);
        b.add(Tables.endpoint(2, Tables.Y, HealthStatus.HEALTHY, 1), 1, 0);
        EndpointTable table = b.build();
        LoadPlan byCount = Tables.balancer(LbConfig.builder().build(), table).plan();
        LoadPlan byWeight = Tables.balancer(LbConfig.builder().weightedPriorityHealth(true).build(), table).plan();
        assertThat(byCount.priorities()).extracting(PriorityPlan::healthyLoad).containsExactly(70, 30);
        assertThat(byWeight.priorities()).extracting(PriorityPlan::healthyLoad).containsExactly(35, 65);
        assertThat(byWeight.weightedPriorityHealth()).isTrue();
        // isHostSetInPanic still compares counts: 50% healthy is not below 50.
        assertThat(byWeight.priorities()).extracting(PriorityPlan::panic).containsExactly(false, false);
    }

    @Test
    @DisplayName("weighted_priority_health with an excluded host: its weight leaves the total (total_weight -= excluded_weight)")
    void weightedPriorityHealthExcludesDrainingWeight() {
        EndpointTable.Builder b = EndpointTable.builder();
        b.add(Tables.endpoint(0, Tables.X, HealthStatus.HEALTHY, 1), 0, 0);
        b.add(Tables.endpoint(1, Tables.X, HealthStatus.UNHEALTHY, 1), 0, 0);
        b.add(Tables.endpoint(2, Tables.X, HealthStatus.DRAINING, 8), 0, 0);
        b.add(Tables.endpoint(3, Tables.Y, HealthStatus.HEALTHY, 1), 1, 0);
        LoadPlan plan = Tables.balancer(LbConfig.builder().weightedPriorityHealth(true).build(), b.build()).plan();
        // 140 * 1 / (10 - 8) = 70.
        assertThat(plan.priorities()).extracting(PriorityPlan::healthyLoad).containsExactly(70, 30);
    }

    @Test
    @DisplayName("overprovisioning_factor of the assignment: P0 3 of 4 healthy -> 140: min(100, 105) = 100; 100: 75 -> 75/25")
    void overprovisioningFactor() {
        EndpointTable table = Tables.priorities(new int[] {4, 3}, new int[] {2, 2});
        assertThat(Tables.balancer(LbConfig.builder().build(), table).plan().priorities())
                .extracting(PriorityPlan::healthyLoad).containsExactly(100, 0);
        LoadPlan hundred = Tables.balancer(LbConfig.builder().overprovisioningFactor(100).build(), table).plan();
        assertThat(hundred.priorities()).extracting(PriorityPlan::healthyLoad).containsExactly(75, 25);
        assertThat(hundred.overprovisioningFactor()).isEqualTo(100);
        assertThatThrownBy(() -> LbConfig.builder().overprovisioningFactor(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("overprovisioningFactor").hasMessageContaining("0");
    }

    @Test
    @DisplayName("force_local_zone: a local cluster in one zone exits early without it; with min_size 1 all traffic stays in X")
    void forceLocalZone() {
        EndpointTable up = upstream(new int[] {2, 3, 3}, new int[] {1, 1, 1});
        ZoneAwareConfig.Builder oneZone = ZoneAwareConfig.builder().localLocality(Tables.X)
                .localHealthyHosts(Tables.X, 3);
        // earlyExitNonLocalityRouting: the local cluster has fewer than 2 localities -> NoLocalityRouting.
        LoadBalancer plain = Tables.balancer(LbConfig.builder().zoneAware(oneZone.build()).build(), up);
        assertThat(shares(plain)).containsExactly(25.0, 37.5, 37.5);
        assertThat(plain.plan().zoneAware().state()).isEqualTo("NO_LOCALITY_ROUTING");
        // force_local_zone skips that exit; X has 2 healthy upstream hosts >= min_size 1 -> LocalityDirect.
        LoadBalancer forced = Tables.balancer(
                LbConfig.builder().zoneAware(oneZone.forceLocalZone(1).build()).build(), up);
        assertThat(shares(forced)).containsExactly(100.0, 0.0, 0.0);
        assertThat(forced.plan().zoneAware().state()).isEqualTo("LOCALITY_DIRECT");
        assertThat(forced.plan().zoneAware().forceLocalZoneMinSize()).isEqualTo(1);
        // min_size 3 > 2: not forced; upstream X 2500 against local 10000 -> 2500 of 10000 stay local,
        // the rest by residual capacity (Y 3750, Z 3750).
        LoadBalancer notEnough = Tables.balancer(
                LbConfig.builder().zoneAware(oneZone.forceLocalZone(3).build()).build(), up);
        assertThat(shares(notEnough)).satisfiesExactly(
                x -> assertThat(x).isCloseTo(25.0, within(1e-9)),
                y -> assertThat(y).isCloseTo(37.5, within(1e-9)),
                z -> assertThat(z).isCloseTo(37.5, within(1e-9)));
        assertThat(notEnough.plan().zoneAware().state()).isEqualTo("LOCALITY_RESIDUAL");
    }

    @Test
    @DisplayName("locality_basis: local X 1/Y 1, upstream X 2 hosts w1, Y 2 hosts w4: by count 5000>=5000 -> direct; by weight 2000<5000 -> 40% local")
    void localityBasis() {
        EndpointTable up = upstream(new int[] {2, 2}, new int[] {1, 4});
        ZoneAwareConfig.Builder z = ZoneAwareConfig.builder().localLocality(Tables.X)
                .localHealthyHosts(Tables.X, 1).localHealthyHosts(Tables.Y, 1).minClusterSize(0);
        LoadBalancer byCount = Tables.balancer(LbConfig.builder().zoneAware(z.build()).build(), up);
        assertThat(shares(byCount)).containsExactly(100.0, 0.0);
        LoadBalancer byWeight = Tables.balancer(LbConfig.builder()
                .zoneAware(z.localityBasis(ZoneAwareConfig.LocalityBasis.HEALTHY_HOSTS_WEIGHT).build()).build(), up);
        // Upstream X 10000 * 2 / 10 = 2000, local X 5000: 2000 * 10000 / 5000 = 4000 stay in X; Y takes the rest.
        assertThat(shares(byWeight)).satisfiesExactly(
                x -> assertThat(x).isCloseTo(40.0, within(1e-9)),
                y -> assertThat(y).isCloseTo(60.0, within(1e-9)));
        assertThat(byWeight.plan().zoneAware().localityBasis()).isEqualTo("HEALTHY_HOSTS_WEIGHT");
        // The local side weighs too: local X weight 4 against Y 1 -> local X 8000 > upstream 2000.
        LoadBalancer localWeights = Tables.balancer(LbConfig.builder().zoneAware(z
                .localityBasis(ZoneAwareConfig.LocalityBasis.HEALTHY_HOSTS_WEIGHT)
                .localHealthyWeight(Tables.X, 4).build()).build(), up);
        assertThat(shares(localWeights).get(0)).isCloseTo(25.0, within(1e-9));
    }

    @Test
    @DisplayName("hostSourceToUse: locality weighting that picks no locality falls through to zone-aware routing, knobs at Envoy's defaults")
    void localityWeightedFallsThroughToZoneAware() {
        // Locality weights all 0: no locality schedule, chooseHealthyLocality() is empty; the local
        // cluster 4/4/2 against upstream 2/4/2 then routes 62.5% locally (min_cluster_size 6 <= 8).
        EndpointTable up = upstream(new int[] {2, 4, 2}, new int[] {1, 1, 1});
        ZoneAwareConfig z = ZoneAwareConfig.builder().localLocality(Tables.X).localHealthyHosts(Tables.X, 4)
                .localHealthyHosts(Tables.Y, 4).localHealthyHosts(Tables.Z, 2).minClusterSize(100).build();
        LoadBalancer lb = Tables.balancer(LbConfig.builder().localityWeighted(true).zoneAware(z).build(), up);
        assertThat(shares(lb)).satisfiesExactly(
                x -> assertThat(x).isCloseTo(62.5, within(1e-9)),
                y -> assertThat(y).isCloseTo(25.0, within(1e-9)),
                zz -> assertThat(zz).isCloseTo(12.5, within(1e-9)));
        ZoneAwarePlan plan = lb.plan().zoneAware();
        assertThat(plan.onlyWhenNoLocalityPicked()).isTrue();
        // zone_aware_lb_config is not set on this path (one oneof with locality_weighted_lb_config):
        // min_cluster_size 100 is not applied, Envoy's 6 is.
        assertThat(plan.minClusterSize()).isEqualTo(6);
        assertThat(plan.state()).isEqualTo("LOCALITY_RESIDUAL");
        int[] perLocality = new int[3];
        for (int i = 0; i < 40_000; i++) {
            perLocality[lb.table().localityId(lb.pick())]++;
        }
        assertThat(perLocality[0] / 40_000.0).isCloseTo(0.625, within(0.01));
    }

    @Test
    @DisplayName("locality weights that pick a locality win over zone-aware routing")
    void localityWeightsStillComeFirst() {
        EndpointTable.Builder t = EndpointTable.builder();
        int n = 0;
        int[] counts = {2, 4, 2};
        for (int l = 0; l < 3; l++) {
            for (int i = 0; i < counts[l]; i++) {
                t.add(Tables.endpoint(n++, xyz()[l], HealthStatus.HEALTHY, 1), 0, 1);
            }
        }
        ZoneAwareConfig z = ZoneAwareConfig.builder().localLocality(Tables.X).localHealthyHosts(Tables.X, 4)
                .localHealthyHosts(Tables.Y, 4).localHealthyHosts(Tables.Z, 2).build();
        LoadBalancer lb = Tables.balancer(LbConfig.builder().localityWeighted(true).zoneAware(z).build(), t.build());
        for (double s : shares(lb)) {
            assertThat(s).isCloseTo(100 / 3.0, within(1e-9));
        }
    }

    @Test
    @DisplayName("bad knobs are refused naming the field and the value, and knobs a release lacks name the release")
    void validation() {
        assertThatThrownBy(() -> ZoneAwareConfig.builder().forceLocalZone(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("forceLocalZone.minSize")
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> ZoneAwareConfig.LocalityBasis.parse("HEALTHY_HOSTS"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("localityBasis")
                .hasMessageContaining("HEALTHY_HOSTS");
        assertThatThrownBy(() -> ZoneAwareConfig.builder().localHealthyWeight(Tables.X, -2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("localHealthyWeight")
                .hasMessageContaining("-2");
        assertThatThrownBy(() -> LbConfig.builder().weightedPriorityHealth(true).envoyRelease(26).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weightedPriorityHealth")
                .hasMessageContaining("1.26");
        ZoneAwareConfig forced = ZoneAwareConfig.builder().localLocality(Tables.X).forceLocalZone(2).build();
        assertThatThrownBy(() -> LbConfig.builder().zoneAware(forced).envoyRelease(34).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("forceLocalZone")
                .hasMessageContaining("1.34");
        assertThat(LbConfig.builder().zoneAware(forced).envoyRelease(35).build().zoneAware().forceLocalZoneMinSize())
                .isEqualTo(2);
        ZoneAwareConfig weight = ZoneAwareConfig.builder().localLocality(Tables.X)
                .localityBasis(ZoneAwareConfig.LocalityBasis.HEALTHY_HOSTS_WEIGHT).build();
        assertThatThrownBy(() -> LbConfig.builder().zoneAware(weight).envoyRelease(35).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("localityBasis")
                .hasMessageContaining("HEALTHY_HOSTS_WEIGHT");
        LbConfig all = LbConfig.builder().weightedPriorityHealth(true).envoyRelease(36).zoneAware(weight)
                .activeRequestBias(0.5).overprovisioningFactor(120).build();
        assertThat(all.toBuilder().build()).isEqualTo(all).hasSameHashCodeAs(all);
        assertThat(all).isNotEqualTo(all.toBuilder().envoyRelease(37).build());
        assertThat(weight).isNotEqualTo(ZoneAwareConfig.builder().localLocality(Tables.X).build());
    }
}
