/**
 * An EDS/ADS server for Envoy sidecars: a directory of Istio YAML read as a mesh model, and each
 * connecting Envoy served, by its locality and labels, the clusters and the priorities istiod would
 * send it, computed by Meridian.
 */
module dev.meridian.xds.server {
    requires transitive dev.meridian.xds;
    requires io.grpc;
    requires io.grpc.stub;
    // java-control-plane's server and cache; their jars name no module, so the names are the files'
    requires server;
    requires cache;

    exports dev.meridian.xds.server;
}
