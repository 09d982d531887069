/**
 * gRPC on Meridian: {@code meridian_locality}, a grpc-java load-balancing policy that runs a
 * {@link dev.meridian.cluster.Cluster} as the channel's top-level policy, and the {@code meridian:///}
 * name resolver over a {@link dev.meridian.grpc.MeridianSource}: a directory of Istio YAML, an xDS
 * control plane or Kubernetes.
 */
// grpc-api is an automatic module: it names itself io.grpc in its manifest
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.meridian.grpc {
    requires transitive dev.meridian.cluster;
    requires transitive dev.meridian.istio;
    // grpc-api: its types (LoadBalancerProvider, NameResolver.Args.Key, Status) are in this API
    requires transitive io.grpc;
    // Only MeshDirectorySource reads it (MeshModel is in its API); an application using that source
    // puts meridian-xds-server on its path
    requires static transitive dev.meridian.xds.server;
    // Only XdsSource reads them (AdsClient, Node), and only KubernetesSource these (KubernetesClient):
    // an application using one of them puts meridian-xds or meridian-kubernetes on its path. Not
    // transitive for Kubernetes: a module reading this one would otherwise need fabric8 to compile;
    // one that uses KubernetesSource requires dev.meridian.kubernetes itself.
    requires static transitive dev.meridian.xds;
    requires static dev.meridian.kubernetes;

    exports dev.meridian.grpc;

    provides io.grpc.LoadBalancerProvider with dev.meridian.grpc.MeridianLocalityLoadBalancerProvider;
    provides io.grpc.NameResolverProvider with dev.meridian.grpc.MeridianNameResolverProvider;
}
