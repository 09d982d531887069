package dev.meridian.simulator;

import dev.meridian.lb.LbConfig;
import dev.meridian.lb.SpillConfig;

/**
 * Envoy-side cluster settings Istio never writes but an xDS control plane can ({@code envoy:} in a
 * scenario): the assignment's {@code overprovisioning_factor} and {@code weighted_priority_health}
 * ({@code ClusterLoadAssignment.policy}) and least request's {@code active_request_bias}; and
 * Meridian's own capacity-aware spill-over ({@code spill:} in a scenario), which neither Istio nor
 * Envoy has. A null field keeps what the Istio translation gave (Envoy's default). Immutable and
 * thread-safe.
 *
 * @param overprovisioningFactor percent, or null
 * @param weightedPriorityHealth priority health by host weight, or null
 * @param activeRequestBias least request's bias, or null
 * @param spill capacity-aware spill-over, or null for none
 */
public record EnvoySettings(Integer overprovisioningFactor, Boolean weightedPriorityHealth, Double activeRequestBias,
                            SpillConfig spill) {

    /** No setting: the configuration stays as Istio's translation gave it. */
    public static final EnvoySettings NONE = new EnvoySettings(null, null, null, null);

    /**
     * The configuration with these settings applied.
     *
     * @throws IllegalArgumentException naming the field and the value when one is out of range
     */
    LbConfig applyTo(LbConfig config) {
        if (this.equals(NONE)) {
            return config;
        }
        LbConfig.Builder b = config.toBuilder();
        if (overprovisioningFactor != null) {
            b.overprovisioningFactor(overprovisioningFactor);
        }
        if (weightedPriorityHealth != null) {
            b.weightedPriorityHealth(weightedPriorityHealth);
        }
        if (activeRequestBias != null) {
            b.activeRequestBias(activeRequestBias);
        }
        if (spill != null) {
            b.spill(spill);
        }
        return b.build();
    }
}
