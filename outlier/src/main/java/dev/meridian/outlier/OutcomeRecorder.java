package dev.meridian.outlier;

/**
 * The request-thread half of outlier detection: turns one outcome into counter updates on a
 * host's {@link HostMonitor}, as Envoy's {@code putHttpResponseCode} and {@code putResult} do, and
 * says when a run of failures has completed so that the detector's owner must decide an ejection.
 *
 * <p>Thread-safe, lock-free and allocation-free: it reads only its immutable configuration and
 * adds to the monitor's atomics. It never ejects anything itself.
 */
public final class OutcomeRecorder {

    static final int PENDING_5XX = 1 << EjectionType.CONSECUTIVE_5XX.ordinal();
    static final int PENDING_GATEWAY = 1 << EjectionType.CONSECUTIVE_GATEWAY_FAILURE.ordinal();
    static final int PENDING_LOCAL = 1 << EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE.ordinal();

    private final OutlierDetectionConfig config;

    /** @throws IllegalArgumentException when config is null */
    public OutcomeRecorder(OutlierDetectionConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config: must not be null");
        }
        this.config = config;
    }

    public OutlierDetectionConfig config() {
        return config;
    }

    /**
     * Records an HTTP response: a 5xx extends the host's run of 5xx and, for 502, 503 and 504, its
     * run of gateway failures (another 5xx ends that run); anything else is a success and ends both
     * runs. Statuses outside 500..599, nonsense ones included, are successes, as Envoy's
     * {@code CodeUtility::is5xx} decides.
     *
     * @return true when this call completed an enforced run and was the one to mark the host
     *     pending: the caller must hand the monitor to the detector's owner (once; later completions
     *     before the owner has looked only add bits)
     */
    public boolean record(HostMonitor m, int httpStatus) {
        boolean handOver = false;
        if (httpStatus >= 500 && httpStatus <= 599) {
            m.addExternal(HostMonitor.ONE_FAILURE);
            // Envoy checks the gateway run before the 5xx run.
            if (httpStatus == 502 || httpStatus == 503 || httpStatus == 504) {
                if (m.incrementGateway() == config.consecutiveGatewayFailure) {
                    handOver = runCompleted(m, EjectionType.CONSECUTIVE_GATEWAY_FAILURE, PENDING_GATEWAY,
                            config.consecutiveGatewayFailure, config.enforcingConsecutiveGatewayFailure);
                }
            } else {
                m.clearGateway();
            }
            if (m.increment5xx() == config.consecutive5xx) {
                handOver |= runCompleted(m, EjectionType.CONSECUTIVE_5XX, PENDING_5XX, config.consecutive5xx,
                        config.enforcingConsecutive5xx);
            }
        } else {
            m.addExternal(HostMonitor.ONE_SUCCESS);
            m.clear5xx();
            m.clearGateway();
        }
        return handOver;
    }

    /**
     * Records an outcome the caller observed itself, as Envoy's {@code putResult}. Without split
     * external/local-origin errors a connect failure or reset counts as a 503, a timeout as a 504, a
     * final success as a 200, and a connect success as nothing. With them, failures extend the
     * host's run of local-origin failures, successes end it, and both feed the local-origin
     * success rate. A null result is ignored.
     *
     * @return as {@link #record}
     */
    public boolean recordLocalOrigin(HostMonitor m, LocalOriginResult result) {
        if (result == null) {
            return false;
        }
        if (!config.splitExternalLocalOriginErrors) {
            return switch (result) {
                case CONNECT_FAILED, RESET -> record(m, 503);
                case TIMEOUT -> record(m, 504);
                case SUCCESS_FINAL -> record(m, 200);
                // Envoy maps this to no HTTP code: the response that follows will be counted.
                case CONNECT_SUCCESS -> false;
            };
        }
        switch (result) {
            case CONNECT_FAILED, TIMEOUT, RESET -> {
                m.addLocal(HostMonitor.ONE_FAILURE);
                if (m.incrementLocal() == config.consecutiveLocalOriginFailure) {
                    return runCompleted(m, EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE, PENDING_LOCAL,
                            config.consecutiveLocalOriginFailure, config.enforcingConsecutiveLocalOriginFailure);
                }
                return false;
            }
            default -> {
                m.addLocal(HostMonitor.ONE_SUCCESS);
                m.clearLocal();
                return false;
            }
        }
    }

    /**
     * A run has reached its threshold (Envoy fires on equality). With enforcement 0 no ejection can
     * follow (Envoy's {@code enforceEjection} is false for 0 whatever it draws), so the recording
     * thread does what Envoy's {@code onConsecutiveErrorWorker} would then do: reset the run, unless
     * the host is ejected. Otherwise the host is marked pending for the owner.
     */
    private static boolean runCompleted(HostMonitor m, EjectionType type, int bit, int threshold, int enforcing) {
        if (enforcing > 0) {
            return m.markPending(bit);
        }
        if (!m.isEjected()) {
            m.resetRunAt(type, threshold);
        }
        return false;
    }
}
