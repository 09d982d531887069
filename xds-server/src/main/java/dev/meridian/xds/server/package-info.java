/**
 * The sidecar xDS server: {@link dev.meridian.xds.server.MeshDirectory} reads Istio YAML into a
 * {@link dev.meridian.xds.server.MeshModel}; {@link dev.meridian.xds.server.SidecarXdsServer} serves it
 * to Envoy over ADS, one snapshot per {@link dev.meridian.xds.server.SidecarGroup}.
 */
package dev.meridian.xds.server;
