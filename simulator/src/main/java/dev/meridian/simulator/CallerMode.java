package dev.meridian.simulator;

import dev.meridian.istio.CallerProxy;
import dev.meridian.istio.YamlNode;

/**
 * How the scenario's callers reach the destination ({@code caller.mode}): through an Istio sidecar,
 * through kube-proxy from outside the mesh, or through an Envoy whose xDS control plane already
 * decided the priorities (a config dump; {@link Scenario#fromControlPlane}).
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
    KUBE_PROXY("kube-proxy", CallerProxy.KUBE_PROXY),
    /**
     * An Envoy running what its xDS control plane sent: the endpoints at the priorities and with the
     * locality weights of the {@code ClusterLoadAssignment}, the cluster's balancing and outlier
     * detection as they are. Meridian applies no proxy's rules of its own, so {@link #proxy()} is
     * null. Only {@link Scenario#fromControlPlane} makes such a scenario; a scenario file cannot
     * name it.
     */
    XDS("xds", null);

    private final String text;
    private final CallerProxy proxy;

    CallerMode(String text, CallerProxy proxy) {
        this.text = text;
        this.proxy = proxy;
    }

    /**
     * The proxy whose rules decide, shared with every other source of endpoints; null for
     * {@link #XDS}, where the control plane decided.
     */
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
            if (m != XDS && m.text.equals(v)) {
                return m;
            }
        }
        throw n.error("must be istio or kube-proxy, got '" + v + "'");
    }
}
