/**
 * gRPC clients on Meridian: the {@code meridian_locality} load-balancing policy
 * ({@link dev.meridian.grpc.MeridianLocalityLoadBalancerProvider}), the {@code meridian:///} name
 * resolver ({@link dev.meridian.grpc.MeridianNameResolverProvider}) and its sources
 * ({@link dev.meridian.grpc.MeridianSource}: {@link dev.meridian.grpc.MeshDirectorySource},
 * {@link dev.meridian.grpc.XdsSource}, {@link dev.meridian.grpc.KubernetesSource}). See
 * {@code docs/grpc.md}.
 */
package dev.meridian.grpc;
