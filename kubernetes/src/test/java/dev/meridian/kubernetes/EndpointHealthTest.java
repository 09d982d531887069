package dev.meridian.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.HealthStatus;
import dev.meridian.istio.CallerProxy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * EndpointSlice conditions as each reader sees them: Istio's {@code endpointHealthStatus}
 * (istio/istio {@code pilot/pkg/serviceregistry/kube/controller/endpointslice.go}), where an unset
 * {@code serving} or {@code terminating} counts as true, and kube-proxy's {@code newEndpointSliceInfo}
 * (kubernetes {@code pkg/proxy/endpointslicecache.go}), where unset {@code ready} and {@code serving}
 * are true and unset {@code terminating} is false.
 */
class EndpointHealthTest {
    static final CallerProxy ISTIO = CallerProxy.SIDECAR;
    static final CallerProxy KUBE_PROXY = CallerProxy.KUBE_PROXY;

    @Test
    @DisplayName("ready, or ready unset: healthy to both")
    void ready() {
        for (CallerProxy p : CallerProxy.values()) {
            assertThat(EndpointHealth.of(p, true, true, false, false)).isEqualTo(HealthStatus.HEALTHY);
            assertThat(EndpointHealth.of(p, null, null, null, false)).isEqualTo(HealthStatus.HEALTHY);
        }
    }

    @Test
    @DisplayName("serving and terminating: Istio's Terminating (dropped) unless the Service keeps draining"
            + " endpoints for persistent sessions; kube-proxy's serving-terminating fallback")
    void servingTerminating() {
        assertThat(EndpointHealth.of(ISTIO, false, true, true, false)).isEqualTo(HealthStatus.TERMINATING);
        assertThat(EndpointHealth.of(ISTIO, false, true, true, true)).isEqualTo(HealthStatus.DRAINING);
        assertThat(EndpointHealth.of(KUBE_PROXY, false, true, true, false)).isEqualTo(HealthStatus.DRAINING);
    }

    @Test
    @DisplayName("terminating and no longer serving: terminating to both, draining or not")
    void terminatingNotServing() {
        for (CallerProxy p : CallerProxy.values()) {
            assertThat(EndpointHealth.of(p, false, false, true, true)).isEqualTo(HealthStatus.TERMINATING);
        }
    }

    @Test
    @DisplayName("not ready, not terminating: unhealthy to both")
    void notReady() {
        for (CallerProxy p : CallerProxy.values()) {
            assertThat(EndpointHealth.of(p, false, false, false, true)).isEqualTo(HealthStatus.UNHEALTHY);
        }
    }

    @Test
    @DisplayName("not ready with serving and terminating unset: Istio reads terminating (draining with persistent"
            + " sessions), kube-proxy reads not ready and not terminating, as the API documents an unset"
            + " terminating")
    void unsetConditionsDisagree() {
        assertThat(EndpointHealth.of(ISTIO, false, null, null, false)).isEqualTo(HealthStatus.TERMINATING);
        assertThat(EndpointHealth.of(ISTIO, false, null, null, true)).isEqualTo(HealthStatus.DRAINING);
        assertThat(EndpointHealth.of(KUBE_PROXY, false, null, null, false)).isEqualTo(HealthStatus.UNHEALTHY);
    }
}
