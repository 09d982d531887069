/**
 * Kubernetes as a source of endpoints: a Service's EndpointSlices, the Nodes they run on, the Service
 * itself and optionally Istio DestinationRules, watched with the fabric8 client and turned into
 * {@link dev.meridian.cluster.Cluster} commands ({@link dev.meridian.kubernetes.KubernetesEndpointSource}).
 */
module dev.meridian.kubernetes {
    requires transitive dev.meridian.cluster;
    requires transitive dev.meridian.istio;
    // fabric8's jars name no module, so the names are the files': the client API is in the public API
    // (the builder takes a KubernetesClient); the models are what the watches return.
    requires transitive kubernetes.client.api;
    requires kubernetes.model.common;
    requires kubernetes.model.core;
    requires kubernetes.model.discovery;

    exports dev.meridian.kubernetes;
}
