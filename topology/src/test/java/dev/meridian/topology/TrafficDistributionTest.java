package dev.meridian.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Endpoint;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A Service's {@code trafficDistribution} on the Istio path: istio/istio
 * {@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go} {@code GetLocalityLbSetting} (1.30.3)
 * returns a forced {@code failoverPriority} and {@code forceFailover = true}; the EDS builder
 * ({@code pilot/pkg/xds/endpoints/endpoint_builder.go} {@code BuildClusterLoadAssignment}) ors it into
 * {@code enableFailover}, so the priorities apply without outlier detection.
 */
class TrafficDistributionTest {
    static final String NET = TrafficDistribution.LABEL_NETWORK;
    static final IstioRelease R130 = IstioRelease.LATEST;

    static Endpoint ep(String address, String locality, Map<String, String> labels) {
        return Endpoint.parseAddress(address, Locality.parse(locality), labels, 1, null, Endpoint.NO_PRIORITY);
    }

    static final List<Endpoint> ENDPOINTS = List.of(
            ep("10.0.0.1:80", "r1/z1", Map.of()),
            ep("10.0.0.2:80", "r1/z2", Map.of()),
            ep("10.0.0.3:80", "r2/z3", Map.of()));
    static final Caller CALLER = Caller.at(Locality.parse("r1/z1"));

    @Test
    @DisplayName("GetLocalityLbSetting 1.30: PreferClose and PreferSameZone force [network, region, zone];"
            + " PreferSameNode adds subzone and kubernetes.io/hostname")
    void failoverPriorityLists() {
        List<String> zone = List.of(NET, "topology.kubernetes.io/region", "topology.kubernetes.io/zone");
        assertThat(TrafficDistribution.PREFER_SAME_ZONE.failoverPriority(R130)).isEqualTo(zone);
        assertThat(TrafficDistribution.PREFER_CLOSE.failoverPriority(R130)).isEqualTo(zone);
        assertThat(TrafficDistribution.PREFER_SAME_NODE.failoverPriority(R130)).containsExactly(NET,
                "topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone",
                "kubernetes.io/hostname");
        assertThat(TrafficDistribution.ANY.failoverPriority(R130)).isEmpty();
    }

    @Test
    @DisplayName("release boundaries: nothing before 1.25 (pull request 54715); 1.25-1.26 only PreferClose with"
            + " subzone (55046); 1.27 the Kubernetes 1.33 values (56042)")
    void failoverPriorityByRelease() {
        assertThat(TrafficDistribution.PREFER_CLOSE.failoverPriority(new IstioRelease(1, 24))).isEmpty();
        assertThat(TrafficDistribution.PREFER_CLOSE.failoverPriority(new IstioRelease(1, 26))).containsExactly(NET,
                "topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone");
        assertThat(TrafficDistribution.PREFER_SAME_ZONE.failoverPriority(new IstioRelease(1, 26))).isEmpty();
        assertThat(TrafficDistribution.PREFER_SAME_ZONE.failoverPriority(new IstioRelease(1, 27))).hasSize(3);
    }

    @Test
    @DisplayName("PreferSameZone without outlier detection: same zone 0, same region 1, elsewhere 2, locality-weighted")
    void appliesWithoutOutlierDetection() {
        PriorityAssignment a = LocalityPriorities.assign(ENDPOINTS, CALLER, LocalityLbSetting.DEFAULT, null,
                TrafficDistribution.PREFER_SAME_ZONE, R130, false);
        assertThat(a.applied()).isTrue();
        assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_FAILOVER_PRIORITY);
        assertThat(a.localityWeighted()).isTrue();
        assertThat(a.priorityOf("10.0.0.1:80")).isZero();
        assertThat(a.priorityOf("10.0.0.2:80")).isEqualTo(1);
        assertThat(a.priorityOf("10.0.0.3:80")).isEqualTo(2);
        assertThat(a.reason()).contains("trafficDistribution PreferSameZone");
        // Without the Service field, the same mesh setting needs outlier detection: one priority.
        PriorityAssignment plain = LocalityPriorities.assign(ENDPOINTS, CALLER, LocalityLbSetting.DEFAULT, null, false);
        assertThat(plain.applied()).isFalse();
        assertThat(plain.priorities()).hasSize(1);
    }

    @Test
    @DisplayName("precedence: the DestinationRule's localityLbSetting wins, its enabled: false turns everything off")
    void destinationRuleSettingWins() {
        LocalityLbSetting rule = new LocalityLbSetting(null, List.of(), List.of(), List.of());
        // The rule's plain setting needs outlier detection, which is absent: nothing applies.
        PriorityAssignment a = LocalityPriorities.assign(ENDPOINTS, CALLER, null, rule,
                TrafficDistribution.PREFER_SAME_ZONE, R130, false);
        assertThat(a.applied()).isFalse();
        assertThat(a.warnings()).anyMatch(w -> w.contains("overridden by the DestinationRule's localityLbSetting"));
        LocalityLbSetting off = new LocalityLbSetting(false, List.of(), List.of(), List.of());
        assertThat(LocalityPriorities.assign(ENDPOINTS, CALLER, null, off, TrafficDistribution.PREFER_SAME_ZONE,
                R130, true).applied()).isFalse();
    }

    @Test
    @DisplayName("precedence: the Service beats the mesh; the mesh's enabled: false is read after it and does not turn it off")
    void serviceBeatsMesh() {
        LocalityLbSetting meshOff = new LocalityLbSetting(false, List.of(), List.of(), List.of());
        PriorityAssignment a = LocalityPriorities.assign(ENDPOINTS, CALLER, meshOff, null,
                TrafficDistribution.PREFER_SAME_ZONE, R130, false);
        assertThat(a.applied()).isTrue();
        assertThat(a.priorities()).hasSize(3);
        LocalityLbSetting meshFailover = new LocalityLbSetting(null, List.of(),
                List.of(new LocalityLbSetting.Failover("r1", "r2")), List.of());
        assertThat(LocalityPriorities.assign(ENDPOINTS, CALLER, meshFailover, null,
                TrafficDistribution.PREFER_SAME_ZONE, R130, true).mode())
                .isEqualTo(PriorityAssignment.MODE_FAILOVER_PRIORITY);
    }

    @Test
    @DisplayName("a release that does not read the value: no priorities, and a warning naming the release")
    void ignoredByOlderRelease() {
        PriorityAssignment a = LocalityPriorities.assign(ENDPOINTS, CALLER, LocalityLbSetting.DEFAULT, null,
                TrafficDistribution.PREFER_SAME_ZONE, new IstioRelease(1, 26), false);
        assertThat(a.applied()).isFalse();
        assertThat(a.warnings()).anyMatch(w -> w.contains("PreferSameZone is ignored: Istio 1.26"));
    }

    @Test
    @DisplayName("PreferSameNode: the caller's node (kubernetes.io/hostname) first, then subzone, zone, region")
    void preferSameNode() {
        List<Endpoint> eps = List.of(
                ep("10.0.0.1:80", "r1/z1", Map.of("kubernetes.io/hostname", "n1")),
                ep("10.0.0.2:80", "r1/z1", Map.of("kubernetes.io/hostname", "n2")),
                ep("10.0.0.3:80", "r1/z2", Map.of("kubernetes.io/hostname", "n3")));
        Caller caller = new Caller(Locality.parse("r1/z1"), Map.of("kubernetes.io/hostname", "n1"));
        PriorityAssignment a = LocalityPriorities.assign(eps, caller, null, null, TrafficDistribution.PREFER_SAME_NODE,
                R130, false);
        assertThat(a.priorityOf("10.0.0.1:80")).isZero();
        assertThat(a.priorityOf("10.0.0.2:80")).isEqualTo(1);
        assertThat(a.priorityOf("10.0.0.3:80")).isEqualTo(2);
    }

    /**
     * Item 6 of the fidelity audit. Istio 1.30.3 {@code applyFailoverPriorityPerLocality}: the first
     * mismatching label at position j of n gives n - j, the network label included, so an endpoint in
     * another network is in the lowest priority even when its region and zone match. Istio master
     * after 1.30 (istio/istio pull request 60829, commit b6787c126ec, first tagged 1.31.0-alpha.0)
     * adds n for a first-place network mismatch and keeps counting the rest: there the other-network,
     * same-zone endpoint would get 0 + 3 = 3 and the other-network, other-region one 2 + 3 = 5, two
     * different priorities below every in-network endpoint. {@link IstioRelease} stops at 1.30, so only
     * 1.30's rule is modelled; docs/scenarios.md states master's.
     */
    @Test
    @DisplayName("failoverPriority with topology.istio.io/network first, Istio 1.30 (not master's #60829):"
            + " a network mismatch is the lowest priority whatever region and zone say")
    void networkFirstFollowsTheLatestRelease() {
        List<Endpoint> eps = List.of(
                ep("10.0.0.1:80", "r1/z1", Map.of(NET, "n1")),
                ep("10.0.0.2:80", "r2/z9", Map.of(NET, "n1")),
                ep("10.0.0.3:80", "r1/z1", Map.of(NET, "n2")),
                ep("10.0.0.4:80", "r2/z9", Map.of(NET, "n2")));
        Caller caller = new Caller(Locality.parse("r1/z1"), Map.of(NET, "n1"));
        LocalityLbSetting rule = new LocalityLbSetting(null, List.of(), List.of(),
                List.of(NET, "topology.kubernetes.io/region", "topology.kubernetes.io/zone"));
        PriorityAssignment a = LocalityPriorities.assign(eps, caller, null, rule, true);
        // 1.30 raw levels: 0, 3-1=2, 3-0=3, 3 -> renumbered 0, 1, 2, 2.
        assertThat(a.priorityOf("10.0.0.1:80")).isZero();
        assertThat(a.priorityOf("10.0.0.2:80")).isEqualTo(1);
        assertThat(a.priorityOf("10.0.0.3:80")).isEqualTo(2);
        assertThat(a.priorityOf("10.0.0.4:80")).isEqualTo(2);
        // Master would split the last two (raw 3 and 5): not the release Meridian models.
        assertThat(a.priorities()).hasSize(3);
    }

    @Test
    void parseRejectsUnknownValuesNamingFieldAndValue() {
        assertThat(TrafficDistribution.parse("f", null)).isEqualTo(TrafficDistribution.ANY);
        assertThat(TrafficDistribution.parse("f", "PreferSameNode")).isEqualTo(TrafficDistribution.PREFER_SAME_NODE);
        assertThatThrownBy(() -> TrafficDistribution.parse("service.trafficDistribution", "Nearby"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("service.trafficDistribution").hasMessageContaining("'Nearby'");
    }
}
