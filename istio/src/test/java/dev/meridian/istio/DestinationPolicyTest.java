package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Endpoint;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbPolicy;
import dev.meridian.topology.Caller;
import java.util.List;
import org.junit.jupiter.api.Test;

class DestinationPolicyTest {

    private static DestinationRule rule(String trafficPolicy) {
        return DestinationRules.parse("dr.yaml", """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews}
                spec:
                  host: reviews
                  subsets:
                  - name: v1
                    labels: {version: v1}
                    trafficPolicy:
                      loadBalancer: {simple: RANDOM}
                  trafficPolicy:
                """ + trafficPolicy.indent(4)).value();
    }

    @Test
    void withoutARuleIstioDefaultsToLeastRequestAndEnvoysPanicThreshold() {
        DestinationPolicy p = DestinationPolicy.from((DestinationRule) null, null, MeshConfigs.MESH_DEFAULT);
        assertThat(p.lb().policy()).isEqualTo(LbPolicy.LEAST_REQUEST);
        assertThat(p.lb().panicThreshold()).isEqualTo(50.0);
        assertThat(p.outlier()).isNull();
        assertThat(p.ruleLocality()).isNull();
        assertThat(p.meshLocality()).isEqualTo(MeshConfigs.MESH_DEFAULT);
    }

    @Test
    void outlierDetectionSetsThePanicThresholdToMinHealthPercentAndTurnsOnFailover() {
        DestinationPolicy p = DestinationPolicy.from(rule("outlierDetection: {consecutive5xxErrors: 5}\n"), null,
                MeshConfigs.MESH_DEFAULT);
        assertThat(p.outlier()).isNotNull();
        assertThat(p.lb().panicThreshold()).isZero();
        List<Endpoint> endpoints = List.of(Endpoint.of("10.1.0.1:80", Locality.parse("r1/z1")),
                Endpoint.of("10.2.0.1:80", Locality.parse("r2/z1")));
        assertThat(p.assign(endpoints, Caller.at(Locality.parse("r1/z1"))).toTable().priority(1)).isPositive();
    }

    @Test
    void aSubsetsLoadBalancerReplacesTheRules() {
        DestinationRule r = rule("loadBalancer: {simple: ROUND_ROBIN}\n");
        assertThat(DestinationPolicy.from(r, null, null).lb().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(DestinationPolicy.from(r, "v1", null).lb().policy()).isEqualTo(LbPolicy.RANDOM);
        assertThatThrownBy(() -> DestinationPolicy.from(r, "v9", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("v9");
        assertThatThrownBy(() -> DestinationPolicy.from((DestinationRule) null, "v1", null))
                .hasMessageContaining("needs a destinationRule");
    }

    @Test
    void passthroughHasNoEndpointToChoose() {
        assertThatThrownBy(() -> DestinationPolicy.from(rule("loadBalancer: {simple: PASSTHROUGH}\n"), null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PASSTHROUGH");
    }
}
