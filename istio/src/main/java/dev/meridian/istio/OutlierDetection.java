package dev.meridian.istio;

import java.time.Duration;

/**
 * Istio's {@code OutlierDetection} as written in a DestinationRule, field for field. Every field is
 * nullable so that "not written" stays distinguishable from a written zero: Istio translates only the
 * fields that are present and leaves the rest to Envoy's defaults.
 *
 * <p>The values are Istio's, not Envoy's: turning them into Envoy outlier-detection settings (for
 * example the legacy {@code consecutiveErrors}, which Istio maps to consecutive gateway failures) is
 * a separate step. An instance with every field null is meaningful: {@code outlierDetection: {}}
 * turns outlier detection on with defaults, which is also what makes Istio apply locality failover.
 *
 * <p>Validation follows Istio's {@code validateOutlierDetection} ({@code pkg/config/validation/validation.go})
 * and the CRD schema: counts are non-negative, percentages are 0..100, {@code interval} and
 * {@code baseEjectionTime} are at least 1ms in whole milliseconds, and
 * {@code consecutiveLocalOriginFailures > 0} needs {@code splitExternalLocalOriginErrors: true}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param consecutiveErrors the legacy, deprecated {@code consecutiveErrors}
 * @param consecutive5xxErrors {@code consecutive5xxErrors}; 0 disables 5xx ejection
 * @param consecutiveGatewayErrors {@code consecutiveGatewayErrors}; 0 disables gateway-error ejection
 * @param consecutiveLocalOriginFailures {@code consecutiveLocalOriginFailures}
 * @param splitExternalLocalOriginErrors {@code splitExternalLocalOriginErrors}
 * @param interval {@code interval}, the time between ejection sweeps
 * @param baseEjectionTime {@code baseEjectionTime}, multiplied by the number of ejections
 * @param maxEjectionPercent {@code maxEjectionPercent}
 * @param minHealthPercent {@code minHealthPercent}, which Istio also uses as the panic threshold
 */
public record OutlierDetection(Integer consecutiveErrors,
                               Integer consecutive5xxErrors,
                               Integer consecutiveGatewayErrors,
                               Integer consecutiveLocalOriginFailures,
                               Boolean splitExternalLocalOriginErrors,
                               Duration interval,
                               Duration baseEjectionTime,
                               Integer maxEjectionPercent,
                               Integer minHealthPercent) {

    /** {@code outlierDetection: {}}: enabled, every field left to its default. */
    public static final OutlierDetection DEFAULTS =
            new OutlierDetection(null, null, null, null, null, null, null, null, null);

    public OutlierDetection {
        validate("outlierDetection", consecutiveErrors, consecutive5xxErrors, consecutiveGatewayErrors,
                consecutiveLocalOriginFailures, splitExternalLocalOriginErrors, interval, baseEjectionTime,
                maxEjectionPercent, minHealthPercent);
    }

    /** True when the legacy {@code consecutiveErrors} was written. */
    public boolean usesLegacyConsecutiveErrors() {
        return consecutiveErrors != null;
    }

    static void validate(String path, Integer consecutiveErrors, Integer consecutive5xxErrors,
                         Integer consecutiveGatewayErrors, Integer consecutiveLocalOriginFailures,
                         Boolean splitExternalLocalOriginErrors, Duration interval, Duration baseEjectionTime,
                         Integer maxEjectionPercent, Integer minHealthPercent) {
        IstioChecks.count(path + ".consecutiveErrors", consecutiveErrors);
        IstioChecks.count(path + ".consecutive5xxErrors", consecutive5xxErrors);
        IstioChecks.count(path + ".consecutiveGatewayErrors", consecutiveGatewayErrors);
        IstioChecks.count(path + ".consecutiveLocalOriginFailures", consecutiveLocalOriginFailures);
        IstioChecks.protoDuration(path + ".interval", interval);
        IstioChecks.protoDuration(path + ".baseEjectionTime", baseEjectionTime);
        IstioChecks.percent(path + ".maxEjectionPercent", maxEjectionPercent);
        IstioChecks.percent(path + ".minHealthPercent", minHealthPercent);
        if (consecutiveLocalOriginFailures != null && consecutiveLocalOriginFailures > 0
                && !Boolean.TRUE.equals(splitExternalLocalOriginErrors)) {
            // Istio's validateOutlierDetection rejects this combination rather than ignoring the count.
            throw new IllegalArgumentException(path + ".consecutiveLocalOriginFailures: needs "
                    + "splitExternalLocalOriginErrors: true, got " + consecutiveLocalOriginFailures
                    + " with splitExternalLocalOriginErrors " + splitExternalLocalOriginErrors);
        }
    }
}
