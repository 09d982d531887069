/**
 * Kubernetes as a source feeding {@link dev.meridian.cluster.Cluster} commands:
 * {@link dev.meridian.kubernetes.KubernetesEndpointSource} watches one Service's EndpointSlices, the
 * Nodes its endpoints run on, the Service and optionally Istio DestinationRules, and on every change
 * recomputes the endpoint list, the caller's priorities and the balancing and outlier configuration,
 * exactly as an Istio sidecar or kube-proxy would use them
 * ({@link dev.meridian.istio.CallerProxy}).
 *
 * <p>This package sits on the configuration side: it runs on fabric8's informer threads, validates
 * what it reads, reports what it cannot use as {@link dev.meridian.kubernetes.KubernetesWarning}s and
 * only queues commands; the embedder's control thread applies them with
 * {@link dev.meridian.cluster.Cluster#drain()}.
 */
package dev.meridian.kubernetes;
