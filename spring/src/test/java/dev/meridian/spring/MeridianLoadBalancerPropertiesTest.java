package dev.meridian.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Endpoint;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.topology.LocalityLbSetting;
import dev.meridian.topology.PriorityAssignment;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * The properties as Istio reads the DestinationRule fields they stand for: the defaults of
 * {@code applySimpleDefaultLoadBalancer} and {@code applyOutlierDetection}
 * ({@code pilot/pkg/networking/core/cluster_traffic_policy.go}) and of
 * {@code LocalityLBSettings.ApplyToCluster} ({@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go}:
 * failover only with outlier detection; locality-weighted balancing with {@code failover},
 * {@code failoverPriority} or {@code distribute}).
 */
class MeridianLoadBalancerPropertiesTest {

    private static final List<Endpoint> ENDPOINTS = List.of(
            Endpoint.of("10.0.0.1:80", Locality.of("r1", "z1", "")),
            Endpoint.of("10.0.0.2:80", Locality.of("r1", "z2", "")),
            Endpoint.of("10.0.0.3:80", Locality.of("r2", "z1", "")),
            Endpoint.of("10.0.0.4:80", Locality.of("r3", "z1", "")));

    private static MeridianLoadBalancerProperties read(Map<String, Object> properties, String zone) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("test", properties));
        return MeridianLoadBalancerProperties.read(env, "reviews", zone);
    }

    private static Map<String, Object> map(String... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private static List<Integer> priorities(PriorityAssignment a) {
        return ENDPOINTS.stream().map(e -> a.priorityOf(e.address())).toList();
    }

    @Test
    void withoutSettingsIstiosDefaultsStand() {
        MeridianLoadBalancerProperties p = read(map(), null);
        assertThat(p.policy()).isEqualTo(LbPolicy.LEAST_REQUEST);
        assertThat(p.outlier()).isNull();
        assertThat(p.locality()).isNull();
        assertThat(p.panicThreshold()).isEqualTo(LbConfig.DEFAULT_PANIC_THRESHOLD);
        assertThat(p.controlPeriod()).isEqualTo(ControlThread.DEFAULT_PERIOD);
        assertThat(p.caller().locality()).isEqualTo(Locality.UNKNOWN);
        // No outlier detection: Istio applies no failover, so every endpoint shares priority 0.
        assertThat(priorities(p.assign(ENDPOINTS))).containsExactly(0, 0, 0, 0);
    }

    @Test
    void outlierDetectionTurnsOnProximityFailoverAndDisablesPanic() {
        MeridianLoadBalancerProperties p = read(map(
                "meridian.loadbalancer.region", "r1",
                "meridian.loadbalancer.outlier-detection.consecutive-5xx-errors", "3"), "z1");
        assertThat(p.caller().locality()).isEqualTo(Locality.of("r1", "z1", ""));
        assertThat(p.outlier()).isNotNull();
        assertThat(p.outlier().consecutive5xx()).isEqualTo(3);
        assertThat(p.outlier().enforcingConsecutive5xx()).isEqualTo(100);
        assertThat(p.outlier().enforcingSuccessRate()).isZero();
        // minHealthPercent unset: Istio writes healthy_panic_threshold 0.
        assertThat(p.panicThreshold()).isZero();
        // Proximity: same zone, same region, other regions.
        PriorityAssignment a = p.assign(ENDPOINTS);
        assertThat(priorities(a)).containsExactly(0, 1, 2, 2);
        // Default proximity rules alone leave Envoy's locality weighting off.
        assertThat(p.lbConfig(a).localityWeighted()).isFalse();
        assertThat(p.lbConfig(a).panicThreshold()).isZero();
    }

    @Test
    void anEmptyOutlierDetectionBlockIsEnvoysDefaults() {
        MeridianLoadBalancerProperties p = read(map("meridian.loadbalancer.outlier-detection.enabled", "true"), null);
        assertThat(p.outlier().consecutive5xx()).isEqualTo(5);
        assertThat(p.outlier().interval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(p.outlier().baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(read(map("meridian.loadbalancer.outlier-detection.enabled", "false",
                "meridian.loadbalancer.outlier-detection.consecutive-5xx-errors", "3"), null).outlier()).isNull();
    }

    @Test
    void failoverRulesMoveOtherRegionsAndTurnOnLocalityWeighting() {
        MeridianLoadBalancerProperties p = read(map(
                "meridian.loadbalancer.region", "r1",
                "meridian.loadbalancer.outlier-detection.min-health-percent", "30",
                "meridian.loadbalancer.locality.failover[0].from", "r1",
                "meridian.loadbalancer.locality.failover[0].to", "r3"), "z1");
        assertThat(p.locality().failover()).containsExactly(new LocalityLbSetting.Failover("r1", "r3"));
        assertThat(p.panicThreshold()).isEqualTo(30);
        PriorityAssignment a = p.assign(ENDPOINTS);
        // applyLocalityFailover: r3, the failover target, before r2.
        assertThat(priorities(a)).containsExactly(0, 1, 3, 2);
        assertThat(p.lbConfig(a).localityWeighted()).isTrue();
    }

    @Test
    void distributeWeightsApplyWithoutOutlierDetection() {
        MeridianLoadBalancerProperties p = read(map(
                "meridian.loadbalancer.region", "r1",
                "meridian.loadbalancer.locality.distribute[0].from", "r1/z1/*",
                "meridian.loadbalancer.locality.distribute[0].to", "r1/z1/*=80, r1/z2/*=20"), "z1");
        assertThat(p.locality().distribute().get(0).to()).containsExactly(Map.entry("r1/z1/*", 80),
                Map.entry("r1/z2/*", 20));
        PriorityAssignment a = p.assign(ENDPOINTS);
        assertThat(a.mode()).isEqualTo(PriorityAssignment.MODE_DISTRIBUTE);
        // Localities no entry names receive nothing.
        assertThat(a.excluded()).hasSize(2);
        assertThat(p.lbConfig(a).localityWeighted()).isTrue();
    }

    @Test
    void aServicesOwnSettingWinsAndItsListsReplaceTheApplications() {
        MeridianLoadBalancerProperties p = read(map(
                "meridian.loadbalancer.policy", "ROUND_ROBIN",
                "meridian.loadbalancer.clients.reviews.policy", "random",
                "meridian.loadbalancer.clients.ratings.policy", "LEAST_REQUEST",
                "meridian.loadbalancer.outlier-detection.interval", "10s",
                "meridian.loadbalancer.clients.reviews.outlier-detection.interval", "500ms",
                "meridian.loadbalancer.locality.failover[0].from", "r1",
                "meridian.loadbalancer.locality.failover[0].to", "r2",
                "meridian.loadbalancer.locality.failover[1].from", "r2",
                "meridian.loadbalancer.locality.failover[1].to", "r1",
                "meridian.loadbalancer.clients.reviews.locality.failover[0].from", "r1",
                "meridian.loadbalancer.clients.reviews.locality.failover[0].to", "r3"), null);
        assertThat(p.policy()).isEqualTo(LbPolicy.RANDOM);
        assertThat(p.outlier().interval()).isEqualTo(Duration.ofMillis(500));
        assertThat(p.locality().failover()).containsExactly(new LocalityLbSetting.Failover("r1", "r3"));
    }

    @Test
    void durationsAreIstiosOrIsoWholeMilliseconds() {
        assertThat(read(map("meridian.loadbalancer.control-period", "PT0.25S"), null).controlPeriod())
                .isEqualTo(Duration.ofMillis(250));
        assertThat(read(map("meridian.loadbalancer.control-period", "2m"), null).controlPeriod())
                .isEqualTo(Duration.ofMinutes(2));
        for (String bad : new String[] {"0s", "-1s", "10", "1us", "PT0.0001S", "soon"}) {
            assertThatThrownBy(() -> read(map("meridian.loadbalancer.control-period", bad), null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("meridian.loadbalancer.control-period: ")
                    .hasMessageEndingWith("got '" + bad + "'");
        }
    }

    @Test
    void failoverPriorityComparesTheCallersLabelsWithTheInstancesMetadata() {
        MeridianLoadBalancerProperties p = read(map(
                "meridian.loadbalancer.caller-labels", "version=v2",
                "meridian.loadbalancer.outlier-detection.enabled", "true",
                "meridian.loadbalancer.locality.failover-priority", "version"), null);
        assertThat(p.caller().labels()).containsEntry("version", "v2");
        List<Endpoint> endpoints = List.of(
                new Endpoint("10.0.0.1", 80, Locality.UNKNOWN, Map.of("version", "v1"), 1, null, Endpoint.NO_PRIORITY),
                new Endpoint("10.0.0.2", 80, Locality.UNKNOWN, Map.of("version", "v2"), 1, null, Endpoint.NO_PRIORITY));
        PriorityAssignment a = p.assign(endpoints);
        assertThat(a.priorityOf("10.0.0.2:80")).isZero();
        assertThat(a.priorityOf("10.0.0.1:80")).isEqualTo(1);
    }

    @Test
    void theServiceIdIsRequired() {
        assertThatThrownBy(() -> MeridianLoadBalancerProperties.read(new StandardEnvironment(), " ", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("serviceId: must not be blank, got ' '");
    }
}
