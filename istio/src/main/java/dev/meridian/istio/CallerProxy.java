package dev.meridian.istio;

import dev.meridian.core.Endpoint;
import dev.meridian.core.IstioRelease;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.KubeProxyRouting;
import dev.meridian.topology.PriorityAssignment;
import java.util.List;

/**
 * Which proxy carries a caller's requests to a Kubernetes Service, and so whose rules decide the
 * endpoint: an Envoy sidecar configured by Istio, or kube-proxy on the caller's node for a caller
 * outside the mesh. Each constant gives the priorities, the balancing configuration and the outlier
 * detection that proxy runs, so every source of endpoints (a scenario, a Kubernetes watch) turns the
 * same inputs into the same {@code Cluster} commands.
 *
 * <p>Immutable and thread-safe; cold path.
 */
public enum CallerProxy {
    /**
     * An Envoy sidecar configured by Istio: the endpoints Istio sends
     * ({@link KubernetesService#sentEndpoints}), its locality priorities
     * ({@link DestinationPolicy#assign(List, Caller, KubernetesService, IstioRelease)}), the rule's
     * balancing with the panic threshold Istio writes for the Service
     * ({@link DestinationPolicy#lbFor}) and its outlier detection.
     */
    SIDECAR,
    /**
     * kube-proxy on the caller's node: the ready endpoints its topology hints allow
     * ({@link KubeProxyRouting}), picked uniformly at random (iptables and nftables), with no panic, no
     * priorities, no weights and no outlier detection; the DestinationRule is not read.
     */
    KUBE_PROXY;

    /**
     * The priorities this proxy gives the caller over the Service's endpoints. For
     * {@link #KUBE_PROXY}, with the hints the EndpointSlice controller writes for the Service's
     * {@code trafficDistribution} ({@link KubeProxyRouting#assign(List, Caller,
     * dev.meridian.topology.TrafficDistribution)}).
     *
     * @param policy the destination's policy; not read for {@link #KUBE_PROXY}
     * @throws IllegalArgumentException when an argument is null
     */
    public PriorityAssignment assign(DestinationPolicy policy, List<Endpoint> endpoints, Caller caller,
                                     KubernetesService service, IstioRelease release) {
        if (service == null) {
            throw new IllegalArgumentException("service: must not be null (KubernetesService.NONE for a plain one)");
        }
        if (this == KUBE_PROXY) {
            return KubeProxyRouting.assign(endpoints, caller, service.kubernetesTrafficDistribution());
        }
        if (policy == null) {
            throw new IllegalArgumentException("policy: must not be null for a sidecar");
        }
        return policy.assign(endpoints, caller, service, release);
    }

    /**
     * The balancing configuration this proxy runs for the assignment: for {@link #SIDECAR} the policy's
     * configuration for the Service ({@link DestinationPolicy#lbFor}) with Envoy's locality-weighted
     * balancing on when Istio turns it on ({@link PriorityAssignment#localityWeighted()}); for
     * {@link #KUBE_PROXY} uniform random choice with panic off.
     *
     * @param policy the destination's policy; not read for {@link #KUBE_PROXY}
     * @throws IllegalArgumentException when an argument the proxy reads is null
     */
    public LbConfig lbConfig(DestinationPolicy policy, PriorityAssignment assignment, KubernetesService service,
                             IstioRelease release) {
        if (this == KUBE_PROXY) {
            return LbConfig.builder().policy(LbPolicy.RANDOM).panicThreshold(0).build();
        }
        if (policy == null || assignment == null || service == null) {
            throw new IllegalArgumentException("policy, assignment and service: must not be null for a sidecar");
        }
        return policy.lbFor(service, release).toBuilder().localityWeighted(assignment.localityWeighted()).build();
    }

    /** The outlier detection this proxy runs: the policy's for {@link #SIDECAR}, null for {@link #KUBE_PROXY}. */
    public OutlierDetectionConfig outlier(DestinationPolicy policy) {
        return this == KUBE_PROXY || policy == null ? null : policy.outlier();
    }
}
