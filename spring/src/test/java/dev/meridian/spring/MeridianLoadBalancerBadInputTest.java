package dev.meridian.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.simple.InstanceProperties;
import org.springframework.cloud.client.discovery.simple.SimpleDiscoveryProperties;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Response;

/**
 * Input Meridian cannot use fails the request at once with the cause named: an unknown service, a
 * service without instances, an application without any source of instances, a malformed setting,
 * an instance list with malformed metadata. Each request goes over a real socket to a loopback
 * server where one is listed; every wait is bounded.
 */
class MeridianLoadBalancerBadInputTest {

    private static final String SERVICE = "reviews";

    private final SimpleDiscoveryProperties discovery = new SimpleDiscoveryProperties();
    private LoopbackServer a;
    private LoopbackServer b;
    private TestApplication application;

    @BeforeEach
    void start() throws Exception {
        a = LoopbackServer.start("a", "r1", "z1");
        b = LoopbackServer.start("b", "r1", "z2");
        list(SERVICE, a.instance(SERVICE), b.instance(SERVICE));
    }

    @AfterEach
    void stop() {
        if (application != null) {
            application.close();
        }
        a.close();
        b.close();
    }

    private TestApplication meridian(Map<String, Object> properties) {
        application = TestApplication.meridian(properties,
                context -> context.registerBean(SimpleDiscoveryProperties.class, () -> discovery));
        return application;
    }

    private void list(String serviceId, InstanceProperties... instances) {
        Map<String, List<InstanceProperties>> all = new ConcurrentHashMap<>(discovery.getInstances());
        all.put(serviceId, new ArrayList<>(List.of(instances)));
        discovery.setInstances(all);
    }

    @Test
    void anUnknownServiceGetsSpringsEmptyResponseAndTheRequestFailsNamingIt() {
        TestApplication app = meridian(Map.of());
        assertThat(app.choose("ratings")).isInstanceOf(EmptyResponse.class);
        // BlockingLoadBalancerClient.execute: no server chosen -> "No instances available for <serviceId>"
        assertThat(app.failure("ratings")).isInstanceOf(IllegalStateException.class)
                .hasMessage("No instances available for ratings");
        // the known service is unaffected
        assertThat(app.call(SERVICE)).isEqualTo(200);
    }

    @Test
    void aServiceWithoutInstancesGetsSpringsEmptyResponse() {
        list("ratings");
        TestApplication app = meridian(Map.of());
        Response<ServiceInstance> response = app.choose("ratings");
        assertThat(response.hasServer()).isFalse();
        assertThat(app.failure("ratings")).hasMessage("No instances available for ratings");
    }

    @Test
    void anApplicationWithoutAnySourceOfInstancesFailsNamingWhatIsMissing() {
        // Discovery off: Spring Cloud's LoadBalancerClientConfiguration (@ConditionalOnDiscoveryEnabled)
        // declares no ServiceInstanceListSupplier, and nothing else does.
        TestApplication app = meridian(Map.of("spring.cloud.discovery.enabled", "false"));
        assertThatThrownBy(() -> app.choose(SERVICE)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("service 'reviews' has no ServiceInstanceListSupplier");
        assertThat(app.failure(SERVICE)).hasMessageContaining("has no ServiceInstanceListSupplier");
    }

    static Stream<Arguments> malformedSettings() {
        return Stream.of(
                Arguments.of("meridian.loadbalancer.outlier-detection.consecutive-5xx-errors", "three", "whole number"),
                Arguments.of("meridian.loadbalancer.outlier-detection.max-ejection-percent", "101", "0..100"),
                Arguments.of("meridian.loadbalancer.outlier-detection.interval", "10", "milliseconds"),
                Arguments.of("meridian.loadbalancer.outlier-detection.base-ejection-time", "1.5s", "milliseconds"),
                Arguments.of("meridian.loadbalancer.outlier-detection.enabled", "yes", "true or false"),
                Arguments.of("meridian.loadbalancer.policy", "MAGLEV", "ROUND_ROBIN, LEAST_REQUEST or RANDOM"),
                Arguments.of("meridian.loadbalancer.clients.reviews.policy", "FASTEST",
                        "ROUND_ROBIN, LEAST_REQUEST or RANDOM"),
                Arguments.of("meridian.loadbalancer.region", "eu/west", "must not contain '/'"),
                Arguments.of("meridian.loadbalancer.caller-labels", "team", "key=value"),
                Arguments.of("meridian.loadbalancer.outlier-detection.consecutive5xx", "3", "unknown setting"),
                Arguments.of("meridian.loadbalancer.clients.reviews.region", "r1", "not a service's"),
                Arguments.of("meridian.loadbalancer.locality.failover[0].from", "r1", "must be a region"),
                Arguments.of("meridian.loadbalancer.locality.distribute[0].to", "r1/z1/*=70", "from"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("malformedSettings")
    void aMalformedSettingFailsTheServiceNamingThePropertyAndTheValue(String key, String value, String why) {
        TestApplication app = meridian(Map.of(key, value));
        String named = key.contains("[0]") ? key.substring(0, key.indexOf(']') + 1) : key;
        assertThat(argumentFailure(catchThrowable(() -> app.balancer(SERVICE))))
                .hasMessageContaining(named)
                .hasMessageContaining(why);
        // The request fails with the same cause, at once.
        assertThat(argumentFailure(app.failure(SERVICE))).hasMessageContaining(named);
        if (!key.contains("[0]")) {
            assertThat(argumentFailure(app.failure(SERVICE))).hasMessageContaining("'" + value + "'");
        }
    }

    @Test
    void settingsThatIstioRejectsTogetherAreRejectedNamingBoth() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("meridian.loadbalancer.outlier-detection.consecutive-local-origin-failures", "2");
        TestApplication app = meridian(properties);
        assertThat(argumentFailure(catchThrowable(() -> app.balancer(SERVICE))))
                .hasMessageContaining("meridian.loadbalancer.outlier-detection")
                .hasMessageContaining("consecutiveLocalOriginFailures")
                .hasMessageContaining("splitExternalLocalOriginErrors");
    }

    @Test
    void aCallerZoneWithASlashIsRejectedNamingSpringsProperty() {
        TestApplication app = meridian(Map.of("spring.cloud.loadbalancer.zone", "r1/z1"));
        assertThat(argumentFailure(catchThrowable(() -> app.balancer(SERVICE))))
                .hasMessageContaining("spring.cloud.loadbalancer.zone 'r1/z1'");
    }

    @Test
    void aFirstInstanceListWithMalformedMetadataFailsNamingTheInstanceTheKeyAndTheValue() {
        InstanceProperties heavy = b.instance(SERVICE);
        heavy.getMetadata().put("weight", "heavy");
        list(SERVICE, a.instance(SERVICE), heavy);
        TestApplication app = meridian(Map.of());
        assertThatThrownBy(() -> app.choose(SERVICE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("instance 'b'")
                .hasMessageContaining("metadata 'weight'")
                .hasMessageContaining("'heavy'");
        // A good list replaces it.
        list(SERVICE, a.instance(SERVICE), b.instance(SERVICE));
        assertThat(app.call(SERVICE)).isEqualTo(200);
    }

    @Test
    void aLaterMalformedListIsRejectedAndTheLastGoodOneStays() {
        list(SERVICE, a.instance(SERVICE));
        TestApplication app = meridian(Map.of());
        assertThat(app.call(SERVICE)).isEqualTo(200);
        // b twice under two ids: Envoy rejects an assignment that repeats an address, and so does Meridian.
        InstanceProperties twin = b.instance(SERVICE);
        twin.setInstanceId("b-twin");
        list(SERVICE, b.instance(SERVICE), twin);
        int servedByA = a.served();
        for (int i = 0; i < 4; i++) {
            assertThat(app.call(SERVICE)).isEqualTo(200);
        }
        assertThat(a.served()).isEqualTo(servedByA + 4);
        assertThat(b.served()).isZero();
    }

    /** The outermost IllegalArgumentException in a failure's cause chain: Meridian's, above Spring's wrappers. */
    private static IllegalArgumentException argumentFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IllegalArgumentException e) {
                return e;
            }
        }
        throw new AssertionError("no IllegalArgumentException in the chain", failure);
    }
}
