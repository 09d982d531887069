package dev.meridian.simulator;

import dev.meridian.istio.CallerProxy;
import dev.meridian.istio.YamlNode;

/**
 * How the scenario's callers reach the destination ({@code caller.mode}): through an Istio sidecar,
 * or through kube-proxy from outside the mesh.
 *
 * <p>Immutable and thread-safe.
 */
public enum CallerMode {
    /** An Envoy sidecar configured by Istio: the default. */
    ISTIO("istio", CallerProxy.SIDECAR),
    /**
     * kube-proxy on the caller's node, outside the mesh: the Service's {@code trafficDistribution}
     * hints, uniform random choice, no outlier detection and no DestinationRule
     * ({@link dev.meridian.topology.KubeProxyRouting}).
     */
    KUBE_PROXY("kube-proxy", CallerProxy.KUBE_PROXY);

    private final String text;
    private final CallerProxy proxy;

    CallerMode(String text, CallerProxy proxy) {
        this.text = text;
        this.proxy = proxy;
    }

    /** The proxy whose rules decide, shared with every other source of endpoints. */
    public CallerProxy proxy() {
        return proxy;
    }

    /** The value as the scenario writes it. */
    public String text() {
        return text;
    }

    static CallerMode parse(YamlNode n) {
        String v = n.string("istio");
        for (CallerMode m : values()) {
            if (m.text.equals(v)) {
                return m;
            }
        }
        throw n.error("must be istio or kube-proxy, got '" + v + "'");
    }
}
