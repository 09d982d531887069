package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.internal.LoadBalancer;
import dev.meridian.lb.SlowStartConfig;
import dev.meridian.topology.Caller;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What {@link DestinationPolicy} generates where Istio's cluster builder changed between releases,
 * where {@code warmup} ramps, and where {@code portLevelSettings} replace the policy for a port.
 */
class DestinationPolicyReleaseTest {

    private static final IstioRelease ISTIO_1_6 = IstioRelease.parse("1.6");

    private static DestinationRule rule(String spec) {
        return DestinationRules.parse("dr.yaml", """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews}
                spec:
                  host: reviews
                """ + spec.indent(2)).value();
    }

    @Test
    @DisplayName("warmup 60s, aggression 2, minimumPercent 20 at 15s: Envoy's factor max((15/60)^(1/2), 0.2) = 0.5 (setWarmup passes both to slow_start_config)")
    void warmupAggressionAndMinimum() {
        DestinationPolicy p = DestinationPolicy.from(rule("""
                trafficPolicy:
                  loadBalancer:
                    simple: ROUND_ROBIN
                    warmup: {duration: 60s, aggression: 2, minimumPercent: 20}
                """), null, null);
        assertThat(p.lb().slowStart()).isEqualTo(new SlowStartConfig(Duration.ofSeconds(60), 2.0, 20.0));

        ManualClock clock = Clocks.manual();
        EndpointTable two = EndpointTable.of(List.of(Endpoint.of("10.0.0.1:80", Locality.parse("r1/z1")),
                Endpoint.of("10.0.0.2:80", Locality.parse("r1/z1"))));
        LoadBalancer lb = LoadBalancer.create(p.lb(), two, RandomSource.seeded(1), clock);
        lb.update(EndpointTable.of(List.of(two.endpoint(0), two.endpoint(1),
                Endpoint.of("10.0.0.3:80", Locality.parse("r1/z1")))));
        Clocks.advance(clock, Duration.ofSeconds(15));
        double share = lb.plan().priorities().get(0).localities().get(0).hosts().get(2).share();
        assertThat(share).as("weight 0.5 against 1 + 1").isCloseTo(100 * 0.5 / 2.5, org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    @DisplayName("warmup without aggression or minimumPercent: Istio's defaults 1.0 and 10 (setWarmup)")
    void warmupDefaults() {
        DestinationPolicy p = DestinationPolicy.from(rule("""
                trafficPolicy:
                  loadBalancer: {warmup: {duration: 30s}}
                """), null, null);
        assertThat(p.lb().slowStart()).isEqualTo(new SlowStartConfig(Duration.ofSeconds(30), 1.0, 10.0));
    }

    @Test
    @DisplayName("no simple algorithm: ROUND_ROBIN under Istio 1.13, LEAST_REQUEST from 1.14 (istio/istio#37220, defaultLBAlgorithm)")
    void defaultAlgorithmBoundary() {
        assertThat(DestinationPolicy.from((TrafficPolicy) null, null, IstioRelease.parse("1.13")).lb().policy())
                .isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(DestinationPolicy.from((TrafficPolicy) null, null, IstioRelease.parse("1.14")).lb().policy())
                .isEqualTo(LbPolicy.LEAST_REQUEST);
    }

    @Test
    @DisplayName("consecutiveErrors through the façade: Istio 1.6 gives gateway 5 @100 and 5xx @0; the latest release Envoy's defaults; the plan says which")
    void consecutiveErrorsThroughTheFacade() {
        DestinationRule r = rule("""
                trafficPolicy:
                  outlierDetection: {consecutiveErrors: 5}
                """);
        DestinationPolicy old = DestinationPolicy.from(r, null, null, MeshConfigs.MESH_DEFAULT, ISTIO_1_6);
        DestinationPolicy now = DestinationPolicy.from(r, null, MeshConfigs.MESH_DEFAULT);
        assertThat(old.release()).isEqualTo(ISTIO_1_6);
        assertThat(old.outlier().enforcingConsecutiveGatewayFailure()).isEqualTo(100);
        assertThat(old.outlier().enforcingConsecutive5xx()).isZero();
        assertThat(old.outlier().envoyMinor()).isEqualTo(14);
        assertThat(old.notes()).anyMatch(n -> n.startsWith("Istio 1.6 rules apply"))
                .anyMatch(n -> n.contains("under Istio 1.6 rules"));
        assertThat(now.release()).isEqualTo(IstioRelease.LATEST);
        assertThat(now.outlier().enforcingConsecutiveGatewayFailure()).isZero();
        assertThat(now.outlier().enforcingConsecutive5xx()).isEqualTo(100);
        assertThat(now.outlier()).as("failover still applies: outlier detection is configured").isNotNull();
    }

    private static final String PORT_LEVEL = """
            trafficPolicy:
              loadBalancer: {simple: RANDOM}
              portLevelSettings:
              - port: {number: 9080}
                outlierDetection: {consecutive5xxErrors: 3}
              - port: {number: 9090}
                loadBalancer: {simple: ROUND_ROBIN}
            """;

    @Test
    @DisplayName("portLevelSettings: port 9080's outlierDetection replaces the whole policy (GetPortLevelTrafficPolicy), so failover applies and simple falls back to the default")
    void portLevelOutlierDetectionTurnsFailoverOn() {
        DestinationRule r = rule(PORT_LEVEL);
        List<Endpoint> endpoints = List.of(Endpoint.of("10.1.0.1:9080", Locality.parse("r1/z1")),
                Endpoint.of("10.2.0.1:9080", Locality.parse("r2/z1")));
        Caller caller = Caller.at(Locality.parse("r1/z1"));

        DestinationPolicy onPort = DestinationPolicy.from(r, null, 9080, MeshConfigs.MESH_DEFAULT, null);
        assertThat(onPort.port()).isEqualTo(9080);
        assertThat(onPort.outlier()).isNotNull();
        assertThat(onPort.outlier().consecutive5xx()).isEqualTo(3);
        assertThat(onPort.lb().policy()).as("the rule's RANDOM is not inherited").isEqualTo(LbPolicy.LEAST_REQUEST);
        assertThat(onPort.assign(endpoints, caller).toTable().priority(1)).as("r2 drops to P1").isPositive();
        assertThat(onPort.notes()).anyMatch(n -> n.startsWith("portLevelSettings for port 9080 replace"));

        DestinationPolicy otherPort = DestinationPolicy.from(r, null, 8080, MeshConfigs.MESH_DEFAULT, null);
        assertThat(otherPort.outlier()).isNull();
        assertThat(otherPort.lb().policy()).isEqualTo(LbPolicy.RANDOM);
        assertThat(otherPort.assign(endpoints, caller).toTable().priority(1)).as("no failover").isZero();

        DestinationPolicy noPort = DestinationPolicy.from(r, null, MeshConfigs.MESH_DEFAULT);
        assertThat(noPort.outlier()).isNull();
        assertThat(noPort.notes()).anyMatch(n -> n.contains("no caller port is given"));
    }

    @Test
    @DisplayName("portLevelSettings: port 9090's loadBalancer alone drops the rule's outlierDetection for that port (no inheritance)")
    void portLevelLoadBalancerDropsOutlierDetection() {
        DestinationRule r = rule("""
                trafficPolicy:
                  outlierDetection: {consecutive5xxErrors: 3}
                  portLevelSettings:
                  - port: {number: 9090}
                    loadBalancer: {simple: ROUND_ROBIN}
                """);
        DestinationPolicy p = DestinationPolicy.from(r, null, 9090, MeshConfigs.MESH_DEFAULT, null);
        assertThat(p.lb().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(p.outlier()).isNull();
        assertThat(p.lb().panicThreshold()).as("Envoy's default without outlier detection").isEqualTo(50.0);
    }

    @Test
    @DisplayName("subset with a port entry: MergeSubsetTrafficPolicy replaces loadBalancer and outlierDetection even where the entry leaves them out")
    void subsetPortLevelReplacesBoth() {
        DestinationRule r = rule("""
                trafficPolicy:
                  outlierDetection: {consecutive5xxErrors: 3}
                  loadBalancer: {simple: RANDOM}
                subsets:
                - name: v1
                  labels: {version: v1}
                  trafficPolicy:
                    loadBalancer: {simple: ROUND_ROBIN}
                    portLevelSettings:
                    - port: {number: 9080}
                      loadBalancer: {simple: LEAST_REQUEST}
                """);
        DestinationPolicy onPort = DestinationPolicy.from(r, "v1", 9080, null, null);
        assertThat(onPort.lb().policy()).isEqualTo(LbPolicy.LEAST_REQUEST);
        assertThat(onPort.outlier()).as("replaced by the entry's absent block").isNull();
        DestinationPolicy otherPort = DestinationPolicy.from(r, "v1", 8080, null, null);
        assertThat(otherPort.lb().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(otherPort.outlier()).as("inherited block by block").isNotNull();
    }

    @Test
    @DisplayName("portLevelSettings validation (validatePortTrafficPolicies): a port is required, an entry needs a field; bad ports are refused naming the value")
    void portLevelValidation() {
        assertThatThrownBy(() -> rule("""
                trafficPolicy:
                  portLevelSettings:
                  - loadBalancer: {simple: RANDOM}
                """)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("portLevelSettings[0].port");
        assertThatThrownBy(() -> rule("""
                trafficPolicy:
                  portLevelSettings:
                  - port: {number: 80}
                """)).hasMessageContaining("port traffic policy must have at least one field");
        assertThatThrownBy(() -> rule("""
                trafficPolicy:
                  portLevelSettings:
                  - port: {number: 70000}
                    loadBalancer: {simple: RANDOM}
                """)).hasMessageContaining("number").hasMessageContaining("70000");
        assertThatThrownBy(() -> DestinationPolicy.from(null, null, 0, null, null))
                .hasMessageContaining("port: must be 1..65535, got 0");
    }
}
