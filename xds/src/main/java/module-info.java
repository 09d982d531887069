/**
 * Envoy's v3 API in and out: {@code Cluster} and {@code ClusterLoadAssignment} translated into
 * Meridian's configuration and back, and an ADS client that feeds {@link dev.meridian.cluster.Cluster}.
 */
module dev.meridian.xds {
    requires transitive dev.meridian.cluster;
    requires transitive dev.meridian.istio;
    requires transitive com.google.protobuf;
    requires com.google.protobuf.util;
    // Channel and Status appear in AdsClient's API
    requires transitive io.grpc;
    requires io.grpc.stub;
    requires io.grpc.protobuf;
    // java-control-plane's generated Envoy API; its jar names no module, so the name is the file's
    requires transitive api;

    exports dev.meridian.xds;
}
