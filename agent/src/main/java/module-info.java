/**
 * The VM agent: a forwarding proxy on a VM's loopback that takes endpoints and policy from a directory
 * of Istio YAML or an xDS server and forwards each outbound connection (TCP) or request (HTTP/1.1) to
 * the upstream a {@link dev.meridian.cluster.Cluster} picks for the VM's own locality, as a sidecar
 * would for a pod there.
 */
module dev.meridian.agent {
    requires transitive dev.meridian.cluster;
    requires transitive dev.meridian.istio;
    requires dev.meridian.grpc;
    requires dev.meridian.xds.server;
    requires io.grpc;
    requires jdk.httpserver;
    requires io.netty.buffer;
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;
    requires io.netty.handler;
    requires io.netty.codec;

    exports dev.meridian.agent;
}
