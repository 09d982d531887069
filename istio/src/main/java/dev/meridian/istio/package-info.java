/**
 * Istio configuration read into typed, validated settings: {@link dev.meridian.istio.DestinationRules}
 * for DestinationRule resources, {@link dev.meridian.istio.MeshConfigs} for the mesh-wide locality
 * setting, {@link dev.meridian.istio.IstioDuration} for Istio's duration strings.
 *
 * <p>This package sits on the configuration side of Meridian: it may allocate and throw, and what
 * it produces is immutable. Values keep Istio's meaning (a field not written stays null); turning
 * them into Envoy's settings is a separate step.
 */
package dev.meridian.istio;
