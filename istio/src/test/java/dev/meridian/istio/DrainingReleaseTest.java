package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.internal.LoadBalancer;
import dev.meridian.lb.PriorityPlan;
import dev.meridian.topology.Caller;
import dev.meridian.topology.PriorityAssignment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Istio release decides the Envoy whose DRAINING rule applies: Istio 1.22 ships Envoy 1.30, the
 * first to exclude hosts EDS reports DRAINING (envoyproxy/envoy#30622, changelogs/1.30.0.yaml);
 * Istio 1.21 ships Envoy 1.29, which counts them as unhealthy. Istio sends DRAINING endpoints only to
 * a Service labelled {@code istio.io/persistent-session} ({@code endpoint_builder.go}
 * {@code filterIstioEndpoint}), so the Service here has that label.
 */
class DrainingReleaseTest {

    private static final Locality HERE = Locality.parse("r1/z1");

    private static Endpoint endpoint(String ip, HealthStatus health) {
        return new Endpoint(ip, 8080, HERE, Map.of(), 1, health, Endpoint.NO_PRIORITY);
    }

    private static LoadBalancer balancer(IstioRelease release) {
        KubernetesService service = new KubernetesService(null, Map.of(), Map.of(),
                Map.of(KubernetesService.LABEL_PERSISTENT_SESSION, "session"), false);
        DestinationPolicy policy = DestinationPolicy.from((DestinationRule) null, null, null, MeshConfigs.MESH_DEFAULT, release);
        List<Endpoint> endpoints = List.of(endpoint("10.0.0.1", HealthStatus.HEALTHY),
                endpoint("10.0.0.2", HealthStatus.DRAINING), endpoint("10.0.0.3", HealthStatus.DRAINING));
        PriorityAssignment a = policy.assign(endpoints, Caller.at(HERE), service, release);
        LbConfig config = policy.lbFor(service, release);
        assertThat(config.envoyRelease()).isEqualTo(release.envoyMinor());
        return LoadBalancer.create(config, a.toTable(), RandomSource.seeded(1), Clocks.manual());
    }

    /** Istio's default policy from 1.14 is LEAST_REQUEST, which has no closed-form share: count picks. */
    private static double drainingShare(LoadBalancer lb) {
        int draining = 0;
        for (int i = 0; i < 30_000; i++) {
            if (lb.table().health(lb.pick()) == HealthStatus.DRAINING) {
                draining++;
            }
        }
        return draining / 30_000.0;
    }

    @Test
    @DisplayName("Istio 1.22 (Envoy 1.30): one HEALTHY and two DRAINING endpoints, panic 50 -> the draining ones are excluded, 100% to the healthy one")
    void istio122ExcludesDraining() {
        LoadBalancer lb = balancer(IstioRelease.parse("1.22"));
        PriorityPlan p0 = lb.plan().priorities().get(0);
        assertThat(p0.excluded()).isEqualTo(2);
        assertThat(p0.panic()).isFalse();
        assertThat(drainingShare(lb)).isZero();
    }

    @Test
    @DisplayName("Istio 1.21 (Envoy 1.29): the same endpoints count 3 with 1 healthy -> panic, two thirds to draining endpoints")
    void istio121CountsDraining() {
        LoadBalancer lb = balancer(IstioRelease.parse("1.21"));
        PriorityPlan p0 = lb.plan().priorities().get(0);
        assertThat(p0.excluded()).isZero();
        assertThat(p0.panic()).isTrue();
        assertThat(drainingShare(lb)).isCloseTo(2 / 3.0, within(0.02));
    }
}
