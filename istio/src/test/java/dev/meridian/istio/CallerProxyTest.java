package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Endpoint;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbPolicy;
import dev.meridian.topology.Caller;
import dev.meridian.topology.PriorityAssignment;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The two proxies a caller of a Kubernetes Service may go through, as every source of endpoints shares
 * them: Istio's sidecar (cluster_traffic_policy.go applyLoadBalancer / applyOutlierDetection) and
 * kube-proxy (kubernetes pkg/proxy/topology.go, uniform random choice in iptables and nftables).
 */
class CallerProxyTest {
    static final List<Endpoint> EPS = List.of(
            Endpoint.of("10.0.0.1:80", Locality.of("r1", "z1", "")),
            Endpoint.of("10.0.0.2:80", Locality.of("r1", "z2", "")),
            Endpoint.of("10.0.0.3:80", Locality.of("r2", "z3", "")));
    static final Caller CALLER = Caller.at(Locality.of("r1", "z1", ""));

    static DestinationPolicy withOutlierDetection() {
        return DestinationPolicy.from(DestinationRules.parse("dr", """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews}
                spec:
                  host: reviews
                  trafficPolicy:
                    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
                """).value(), null, MeshConfigs.MESH_DEFAULT);
    }

    @Test
    @DisplayName("sidecar: Istio's priorities, its translated balancing (panic 0 with outlier detection) and detector")
    void sidecar() {
        DestinationPolicy policy = withOutlierDetection();
        PriorityAssignment a = CallerProxy.SIDECAR.assign(policy, EPS, CALLER, KubernetesService.NONE,
                IstioRelease.LATEST);
        assertThat(a.priorityOf("10.0.0.1:80")).isZero();
        assertThat(a.priorityOf("10.0.0.3:80")).isEqualTo(2);
        assertThat(CallerProxy.SIDECAR.lbConfig(policy, a, KubernetesService.NONE, IstioRelease.LATEST))
                .isEqualTo(policy.lb().toBuilder().localityWeighted(a.localityWeighted()).build());
        assertThat(CallerProxy.SIDECAR.outlier(policy)).isEqualTo(policy.outlier());
    }

    @Test
    @DisplayName("kube-proxy: every ready endpoint in one priority, RANDOM with no panic, no detector, rule unread")
    void kubeProxy() {
        DestinationPolicy policy = withOutlierDetection();
        PriorityAssignment a = CallerProxy.KUBE_PROXY.assign(policy, EPS, CALLER, KubernetesService.NONE,
                IstioRelease.LATEST);
        assertThat(a.priorities()).hasSize(1);
        assertThat(a.hostCount()).isEqualTo(3);
        assertThat(CallerProxy.KUBE_PROXY.lbConfig(null, a, KubernetesService.NONE, IstioRelease.LATEST).policy())
                .isEqualTo(LbPolicy.RANDOM);
        assertThat(CallerProxy.KUBE_PROXY.lbConfig(null, a, KubernetesService.NONE, IstioRelease.LATEST)
                .panicThreshold()).isZero();
        assertThat(CallerProxy.KUBE_PROXY.outlier(policy)).isNull();
    }
}
