package dev.meridian.core;

/**
 * An endpoint's health as the control plane reports it, with Envoy's meaning
 * ({@code envoy.config.core.v3.HealthStatus}): {@link #UNKNOWN} and {@link #HEALTHY} take traffic,
 * {@link #DEGRADED} takes traffic only when healthy hosts are short, and {@link #UNHEALTHY},
 * {@link #DRAINING} and {@link #TIMEOUT} take traffic only in panic. From Envoy 1.30 a
 * {@link #DRAINING} host is also excluded: left out of the host count behind priority health, panic
 * and effective locality weight (the load balancer's {@code LbConfig.excludesDraining()}).
 *
 * <p>{@link #TERMINATING} is not an Envoy status: it is Istio's {@code model.Terminating}
 * ({@code pilot/pkg/model/service.go}), a pod shutting down that is no longer serving, which Istio
 * never sends to a sidecar ({@code filterIstioEndpoint}) and kube-proxy never uses. Should one reach
 * a load balancer directly, it counts like {@link #UNHEALTHY}: neither healthy nor degraded.
 *
 * <p>Immutable and thread-safe.
 */
public enum HealthStatus {
    UNKNOWN,
    HEALTHY,
    UNHEALTHY,
    DRAINING,
    TIMEOUT,
    DEGRADED,
    TERMINATING;

    private static final HealthStatus[] VALUES = values();

    /** True for the statuses Envoy load balances to as healthy hosts. */
    public boolean isHealthy() {
        return this == UNKNOWN || this == HEALTHY;
    }

    /** True for {@link #DEGRADED}. */
    public boolean isDegraded() {
        return this == DEGRADED;
    }

    /** The status with the given {@link #ordinal()}; no allocation. */
    public static HealthStatus ofOrdinal(int ordinal) {
        return VALUES[ordinal];
    }

    /**
     * Parses a status name, case-insensitively.
     *
     * @throws IllegalArgumentException naming the value when it is not a status
     */
    public static HealthStatus parse(String field, String text) {
        if (text == null) {
            return UNKNOWN;
        }
        for (HealthStatus s : VALUES) {
            if (s.name().equalsIgnoreCase(text.strip())) {
                return s;
            }
        }
        throw new IllegalArgumentException(field + ": unknown health status '" + text
                + "' (expected one of UNKNOWN, HEALTHY, DEGRADED, UNHEALTHY, DRAINING, TIMEOUT, TERMINATING)");
    }
}
