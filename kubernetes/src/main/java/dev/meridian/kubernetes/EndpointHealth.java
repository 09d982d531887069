package dev.meridian.kubernetes;

import dev.meridian.core.HealthStatus;
import dev.meridian.istio.CallerProxy;

/**
 * An EndpointSlice endpoint's {@code conditions} as the chosen proxy's control plane reads them, in
 * Meridian's health values ({@link dev.meridian.topology.KubeProxyRouting} and
 * {@link dev.meridian.istio.KubernetesService#sentEndpoints} then decide what each value means for
 * traffic). The two readers disagree on unset conditions, so each is followed exactly.
 *
 * <p>Stateless and thread-safe.
 */
final class EndpointHealth {

    private EndpointHealth() {
    }

    /**
     * The health the proxy's reader gives an endpoint.
     *
     * <ul>
     *   <li>Istio, istio/istio {@code pilot/pkg/serviceregistry/kube/controller/endpointslice.go}
     *       {@code endpointHealthStatus}: ready (or unset) is healthy; else, for a Service that supports
     *       draining endpoints (the {@code istio.io/persistent-session} or
     *       {@code istio.io/persistent-session-header} label, {@code Service.SupportsDrainingEndpoints}),
     *       serving and terminating (each unset counting as true) is {@code DRAINING}; else terminating
     *       (unset counting as true) is {@code TERMINATING}; else {@code UNHEALTHY}. So a not-ready
     *       endpoint with no {@code terminating} condition is terminating to Istio.</li>
     *   <li>kube-proxy, kubernetes {@code pkg/proxy/endpointslicecache.go} ({@code ready} and
     *       {@code serving} unset are true, {@code terminating} unset is false, as discovery/v1
     *       {@code EndpointConditions} documents an unset {@code ready} and {@code terminating}):
     *       ready is healthy; serving and terminating is {@code DRAINING} (kube-proxy's fallback when no
     *       endpoint is ready); terminating is {@code TERMINATING}; else {@code UNHEALTHY}.</li>
     * </ul>
     *
     * @param supportsDraining whether the Service carries a persistent-session label (read by Istio only)
     */
    static HealthStatus of(CallerProxy proxy, Boolean ready, Boolean serving, Boolean terminating,
                               boolean supportsDraining) {
        if (proxy == CallerProxy.KUBE_PROXY) {
            boolean isReady = ready == null || ready;
            boolean isServing = serving == null || serving;
            boolean isTerminating = terminating != null && terminating;
            if (isReady) {
                return HealthStatus.HEALTHY;
            }
            if (isServing && isTerminating) {
                return HealthStatus.DRAINING;
            }
            return isTerminating ? HealthStatus.TERMINATING : HealthStatus.UNHEALTHY;
        }
        if (ready == null || ready) {
            return HealthStatus.HEALTHY;
        }
        boolean servingOrUnset = serving == null || serving;
        boolean terminatingOrUnset = terminating == null || terminating;
        if (supportsDraining && servingOrUnset && terminatingOrUnset) {
            return HealthStatus.DRAINING;
        }
        return terminatingOrUnset ? HealthStatus.TERMINATING : HealthStatus.UNHEALTHY;
    }
}
