package dev.meridian.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Locality;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.lb.LbPolicy;
import io.grpc.Attributes;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The {@code meridian_locality} config object as grpc-java hands it over (parsed JSON: numbers are
 * doubles): Istio's blocks read and translated as a DestinationRule's would be
 * ({@code cluster_traffic_policy.go} {@code applyOutlierDetection}, {@code applyLoadBalancer}), and
 * every malformed field refused with {@code INVALID_ARGUMENT} naming it and its value.
 */
class LocalityPolicyConfigTest {

    private final MeridianLocalityLoadBalancerProvider provider = new MeridianLocalityLoadBalancerProvider();

    private LocalityPolicyConfig parse(Map<String, ?> raw) {
        ConfigOrError r = provider.parseLoadBalancingPolicyConfig(raw);
        assertThat(r.getError()).isNull();
        return (LocalityPolicyConfig) r.getConfig();
    }

    private Status error(Map<String, ?> raw) {
        ConfigOrError r = provider.parseLoadBalancingPolicyConfig(raw);
        assertThat(r.getError()).as("refused").isNotNull();
        assertThat(r.getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        return r.getError();
    }

    @Test
    void anEmptyConfigLeavesEverythingToTheResolverAndIstiosDefaults() {
        LocalityPolicyConfig c = parse(Map.of());
        assertThat(c.caller).isNull();
        DestinationPolicy p = c.policy(Attributes.EMPTY);
        // Istio's defaults: LEAST_REQUEST since 1.14, Envoy's 50% panic, no outlier detection.
        assertThat(p.lb().policy()).isEqualTo(LbPolicy.LEAST_REQUEST);
        assertThat(p.lb().panicThreshold()).isEqualTo(50.0);
        assertThat(p.outlier()).isNull();
    }

    @Test
    void istiosBlocksTranslateAsADestinationRulesWould() {
        LocalityPolicyConfig c = parse(Map.of(
                "callerLocality", "r1/z1",
                "callerLabels", Map.of("app", "productpage"),
                "loadBalancer", Map.of("simple", "ROUND_ROBIN"),
                "outlierDetection", Map.of("consecutive5xxErrors", 3.0, "consecutiveGatewayErrors", 2.0,
                        "interval", "5s", "baseEjectionTime", "1m", "maxEjectionPercent", 50.0,
                        "minHealthPercent", 20.0)));
        assertThat(c.caller.locality()).isEqualTo(Locality.parse("r1/z1"));
        assertThat(c.caller.labels()).containsEntry("app", "productpage");
        DestinationPolicy p = c.policy(Attributes.EMPTY);
        assertThat(p.lb().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        // Istio writes healthy_panic_threshold = minHealthPercent when outlier detection is set.
        assertThat(p.lb().panicThreshold()).isEqualTo(20.0);
        assertThat(p.outlier().consecutive5xx()).isEqualTo(3);
        assertThat(p.outlier().enforcingConsecutive5xx()).isEqualTo(100);
        assertThat(p.outlier().consecutiveGatewayFailure()).isEqualTo(2);
        assertThat(p.outlier().enforcingConsecutiveGatewayFailure()).isEqualTo(100);
        assertThat(p.outlier().interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.outlier().baseEjectionTime()).isEqualTo(Duration.ofMinutes(1));
        assertThat(p.outlier().maxEjectionPercent()).isEqualTo(50);
    }

    @Test
    void theMeshSettingAndAWholeRuleAreRead() {
        LocalityPolicyConfig c = parse(Map.of(
                "localityLbSetting", Map.of("failover", List.of(Map.of("from", "r1", "to", "r3"))),
                "destinationRule", Map.of("apiVersion", "networking.istio.io/v1", "kind", "DestinationRule",
                        "metadata", Map.of("name", "reviews"),
                        "spec", Map.of("host", "reviews.default.svc.cluster.local",
                                "trafficPolicy", Map.of("outlierDetection", Map.of("consecutive5xxErrors", 7.0)),
                                "subsets", List.of(Map.of("name", "v1", "labels", Map.of("version", "v1"))))),
                "subset", "v1"));
        assertThat(c.meshLocality.failover()).hasSize(1);
        DestinationPolicy p = c.policy(Attributes.EMPTY);
        assertThat(p.outlier().consecutive5xx()).isEqualTo(7);
        assertThat(p.meshLocality()).isEqualTo(c.meshLocality);
    }

    @Test
    void aRuleNamedByHostComesFromTheResolver() {
        LocalityPolicyConfig c = parse(Map.of("destinationRule", "reviews"));
        assertThat(c.ruleHost).isEqualTo("reviews");
    }

    @Test
    void unknownFieldsAreRefusedNamingThem() {
        assertThat(error(Map.of("outlierDetections", Map.of())).getDescription())
                .contains("unknown field 'outlierDetections'").contains("outlierDetection");
    }

    @Test
    void aMalformedCallerLocalityIsRefused() {
        assertThat(error(Map.of("callerLocality", "r1/z1/s1/x")).getDescription())
                .contains("callerLocality").contains("'r1/z1/s1/x'");
        assertThat(error(Map.of("callerLocality", 3.0)).getDescription()).contains("callerLocality").contains("3.0");
        assertThat(error(Map.of("callerLabels", Map.of("app", 1.0))).getDescription()).contains("callerLabels.app");
    }

    @Test
    void outlierDetectionFieldsAreValidatedAsIstioValidatesThem() {
        assertThat(error(Map.of("outlierDetection", Map.of("consecutive5xxErrors", -1.0))).getDescription())
                .contains("outlierDetection.consecutive5xxErrors").contains("-1").doesNotContain("spec.trafficPolicy");
        assertThat(error(Map.of("outlierDetection", Map.of("interval", "ten seconds"))).getDescription())
                .contains("outlierDetection.interval").contains("ten seconds");
        assertThat(error(Map.of("outlierDetection", Map.of("maxEjectionPercent", 150.0))).getDescription())
                .contains("outlierDetection.maxEjectionPercent").contains("150");
        assertThat(error(Map.of("outlierDetection", Map.of("consecutive5xxErrors", 2.5))).getDescription())
                .contains("outlierDetection.consecutive5xxErrors").contains("2.5");
    }

    @Test
    void anUnknownAlgorithmIsRefused() {
        assertThat(error(Map.of("loadBalancer", Map.of("simple", "FASTEST"))).getDescription())
                .contains("loadBalancer.simple").contains("FASTEST");
    }

    @Test
    void aLocalityLbSettingIstioWouldRejectIsRefused() {
        assertThat(error(Map.of("localityLbSetting", Map.of(
                "distribute", List.of(Map.of("from", "r1/*", "to", Map.of("r1/*", 60.0))),
                "failover", List.of(Map.of("from", "r1", "to", "r2"))))).getDescription())
                .contains("localityLbSetting");
    }

    @Test
    void aRuleAndInlineBlocksTogetherAreRefused() {
        assertThat(error(Map.of("destinationRule", "reviews", "outlierDetection", Map.of())).getDescription())
                .contains("either a DestinationRule or loadBalancer/outlierDetection");
    }

    @Test
    void aSubsetNeedsARuleThatDefinesIt() {
        assertThat(error(Map.of("subset", "v1")).getDescription()).contains("subset").contains("'v1'");
        assertThat(error(Map.of("subset", "v2", "destinationRule", Map.of("apiVersion", "networking.istio.io/v1",
                "kind", "DestinationRule", "metadata", Map.of("name", "r"),
                "spec", Map.of("host", "reviews")))).getDescription()).contains("no subset 'v2'");
    }

    @Test
    void aMalformedWholeRuleIsRefusedNamingItsPath() {
        assertThat(error(Map.of("destinationRule", Map.of("apiVersion", "networking.istio.io/v1",
                "kind", "DestinationRule", "metadata", Map.of("name", "r"), "spec", Map.of()))).getDescription())
                .contains("destinationRule").contains("spec.host");
    }
}
