/**
 * Istio configuration read into typed, validated settings: {@link dev.meridian.istio.DestinationRules}
 * for DestinationRule resources, {@link dev.meridian.istio.MeshConfigs} for the mesh-wide locality
 * setting, {@link dev.meridian.istio.IstioDuration} for Istio's duration strings, all read through
 * {@link dev.meridian.istio.YamlNode}, the bounded, path-aware YAML reader.
 *
 * <p>This package sits on the configuration side of Meridian: it may allocate and throw, and what
 * it produces is immutable. Values keep Istio's meaning (a field not written stays null);
 * {@link dev.meridian.istio.DestinationPolicy} is the separate step that turns them into the
 * {@code lb} and {@code outlier} settings Istio's cluster builder would generate for Envoy.
 */
package dev.meridian.istio;
