package dev.meridian.outlier;

/**
 * Why a host was ejected, named as Envoy names it ({@code envoy.data.cluster.v3.OutlierEjectionType}).
 * The first three are detected as results arrive; the others at a sweep.
 *
 * <p>Immutable and thread-safe.
 */
public enum EjectionType {
    /** {@code consecutive_5xx} 5xx responses (and, without split errors, local-origin failures). */
    CONSECUTIVE_5XX,
    /** {@code consecutive_gateway_failure} 502, 503 or 504 responses. */
    CONSECUTIVE_GATEWAY_FAILURE,
    /** {@code consecutive_local_origin_failure} connect failures, timeouts or resets, with split errors. */
    CONSECUTIVE_LOCAL_ORIGIN_FAILURE,
    /** Success rate below the mean by more than the stdev factor times the standard deviation. */
    SUCCESS_RATE,
    /** {@link #SUCCESS_RATE} over local-origin results, with split errors. */
    SUCCESS_RATE_LOCAL_ORIGIN,
    /** Failure percentage at or above {@code failure_percentage_threshold}. */
    FAILURE_PERCENTAGE,
    /** {@link #FAILURE_PERCENTAGE} over local-origin results, with split errors. */
    FAILURE_PERCENTAGE_LOCAL_ORIGIN
}
