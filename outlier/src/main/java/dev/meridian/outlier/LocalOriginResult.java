package dev.meridian.outlier;

/**
 * An outcome the proxy observes itself rather than reads from a response, as Envoy's
 * {@code Upstream::Outlier::Result} reports it. Without split external/local-origin errors these
 * map to HTTP statuses the way {@code DetectorHostMonitorImpl::resultToHttpCode} maps them.
 *
 * <p>Immutable and thread-safe.
 */
public enum LocalOriginResult {
    /** The connection could not be made; without split errors it counts as a 503. */
    CONNECT_FAILED,
    /** The request timed out; without split errors it counts as a 504. */
    TIMEOUT,
    /**
     * The stream was reset by the upstream; Envoy's router reports this as a connect failure
     * ({@code source/common/router/router.cc}, {@code onUpstreamReset}), so it counts as a 503.
     */
    RESET,
    /**
     * The connection was made and a response is still to come; without split errors it counts for
     * nothing, with them it ends a run of local-origin failures.
     */
    CONNECT_SUCCESS,
    /**
     * The exchange finished at the connection level (a TCP proxy's only outcome); without split
     * errors it counts as a 200.
     */
    SUCCESS_FINAL
}
