package dev.meridian.outlier;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What Istio generates for a DestinationRule's {@code trafficPolicy.outlierDetection}: the Envoy
 * outlier detection of the cluster, the healthy panic threshold Istio sets on it, and notes that
 * explain the consequences a reader is likely to miss.
 *
 * <p>The translation follows {@code applyOutlierDetection} in Istio's
 * {@code pilot/pkg/networking/core/cluster_traffic_policy.go}, and for the legacy
 * {@code consecutiveErrors} field the releases that still translated it
 * ({@code pilot/pkg/networking/core/v1alpha3/cluster.go}); validation follows
 * {@code validateOutlierDetection} in {@code pilot/pkg/config/validation/validation.go}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param config the Envoy outlier detection Istio generates
 * @param healthyPanicThreshold the cluster's {@code healthy_panic_threshold} in percent, which
 *     Istio sets from {@code minHealthPercent} whenever outlier detection is configured; 0 disables
 *     panic
 * @param notes what the translation did that changes behaviour, one sentence each
 */
public record IstioOutlierTranslation(OutlierDetectionConfig config, double healthyPanicThreshold,
                                      List<String> notes) {

    public IstioOutlierTranslation {
        if (config == null) {
            throw new IllegalArgumentException("config: must not be null");
        }
        if (!(healthyPanicThreshold >= 0 && healthyPanicThreshold <= 100)) {
            throw new IllegalArgumentException("healthyPanicThreshold: must be 0..100, got " + healthyPanicThreshold);
        }
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    /**
     * Translates the fields of Istio's {@code OutlierDetection}; null means the field is absent.
     *
     * @param consecutiveErrors the deprecated {@code consecutiveErrors} (int32), accepted with a
     *     warning note and translated as consecutive gateway errors with 5xx enforcement off
     * @param consecutive5xxErrors {@code consecutive5xxErrors} (uint32); 0 disables
     * @param consecutiveGatewayErrors {@code consecutiveGatewayErrors} (uint32); 0 disables
     * @param consecutiveLocalOriginFailures {@code consecutiveLocalOriginFailures} (uint32), only
     *     with split errors
     * @param splitExternalLocalOriginErrors {@code splitExternalLocalOriginErrors}
     * @param interval {@code interval}, at least 1ms, whole milliseconds
     * @param baseEjectionTime {@code baseEjectionTime}, at least 1ms, whole milliseconds
     * @param maxEjectionPercent {@code maxEjectionPercent}, 0 to 100; 0 leaves Envoy's default
     * @param minHealthPercent {@code minHealthPercent}, 0 to 100
     * @throws IllegalArgumentException naming the field and the value Istio's validation rejects
     */
    public static IstioOutlierTranslation translate(Integer consecutiveErrors, Integer consecutive5xxErrors,
                                                    Integer consecutiveGatewayErrors,
                                                    Integer consecutiveLocalOriginFailures,
                                                    Boolean splitExternalLocalOriginErrors, Duration interval,
                                                    Duration baseEjectionTime, Integer maxEjectionPercent,
                                                    Integer minHealthPercent) {
        nonNegative("consecutiveErrors", consecutiveErrors);
        nonNegative("consecutive5xxErrors", consecutive5xxErrors);
        nonNegative("consecutiveGatewayErrors", consecutiveGatewayErrors);
        nonNegative("consecutiveLocalOriginFailures", consecutiveLocalOriginFailures);
        duration("interval", interval);
        duration("baseEjectionTime", baseEjectionTime);
        percent("maxEjectionPercent", maxEjectionPercent);
        percent("minHealthPercent", minHealthPercent);
        boolean split = splitExternalLocalOriginErrors != null && splitExternalLocalOriginErrors;
        int localOriginFailures = consecutiveLocalOriginFailures == null ? 0 : consecutiveLocalOriginFailures;
        if (!split && localOriginFailures > 0) {
            throw new IllegalArgumentException("outlierDetection.consecutiveLocalOriginFailures: set to "
                    + localOriginFailures + ", but splitExternalLocalOriginErrors is false");
        }

        List<String> notes = new ArrayList<>();
        OutlierDetectionConfig.Builder out = OutlierDetectionConfig.builder();
        out.enforcingSuccessRate(0);
        notes.add("success-rate ejection is off: Istio sets enforcing_success_rate to 0");

        int legacy = consecutiveErrors == null ? 0 : consecutiveErrors;
        if (legacy > 0) {
            out.consecutiveGatewayFailure(legacy).enforcingConsecutiveGatewayFailure(100).enforcingConsecutive5xx(0);
            notes.add("outlierDetection.consecutiveErrors is deprecated (use consecutiveGatewayErrors or "
                    + "consecutive5xxErrors); translated as Istio did while it accepted it: " + legacy
                    + " consecutive gateway errors (502, 503, 504) eject, and 5xx runs are not enforced, so other "
                    + "5xx responses neither count nor eject");
        }
        if (consecutive5xxErrors != null) {
            out.consecutive5xx(consecutive5xxErrors).enforcingConsecutive5xx(consecutive5xxErrors > 0 ? 100 : 0);
        } else if (legacy == 0) {
            notes.add("consecutive5xxErrors is absent: Envoy's default applies, "
                    + OutlierDetectionConfig.DEFAULT_CONSECUTIVE_5XX + " consecutive 5xx eject");
        }
        if (consecutiveGatewayErrors != null) {
            out.consecutiveGatewayFailure(consecutiveGatewayErrors)
                    .enforcingConsecutiveGatewayFailure(consecutiveGatewayErrors > 0 ? 100 : 0);
        }
        if (interval != null) {
            out.interval(interval);
        }
        if (baseEjectionTime != null) {
            out.baseEjectionTime(baseEjectionTime);
        }
        int maxPercent = maxEjectionPercent == null ? 0 : maxEjectionPercent;
        if (maxPercent > 0) {
            out.maxEjectionPercent(maxPercent);
        }
        if (split) {
            out.splitExternalLocalOriginErrors(true).enforcingLocalOriginSuccessRate(0);
            if (localOriginFailures > 0) {
                out.consecutiveLocalOriginFailure(localOriginFailures).enforcingConsecutiveLocalOriginFailure(100);
            }
        }
        OutlierDetectionConfig config = out.build();

        int effectivePercent = config.maxEjectionPercent();
        if (effectivePercent < 100) {
            notes.add((maxPercent > 0 ? "maxEjectionPercent " + maxPercent : "maxEjectionPercent is absent: Envoy's default "
                    + effectivePercent) + "% applies to all hosts of the cluster; under Envoy's current rule a host is "
                    + "ejected only if the ejected share, counting it, stays within that, so "
                    + (effectivePercent == 0 ? "no host is ever ejected"
                            : "a cluster needs at least " + ceilDiv(100, effectivePercent)
                            + " hosts before any can be ejected"));
        }
        if (config.maxEjectionTime().equals(config.baseEjectionTime())) {
            notes.add("baseEjectionTime " + text(config.baseEjectionTime()) + " is at least Envoy's default max ejection "
                    + "time, which becomes the base itself: every ejection lasts " + text(config.baseEjectionTime())
                    + ", a host that keeps failing is not ejected for longer");
        } else {
            notes.add("ejections last " + text(config.baseEjectionTime()) + " times the host's ejection multiplier, at most "
                    + text(config.maxEjectionTime()) + "; a host returns at the first sweep (every "
                    + text(config.interval()) + ") after its time is up");
        }

        int panic = minHealthPercent == null ? 0 : minHealthPercent;
        notes.add(panic == 0
                ? "minHealthPercent is 0: Istio sets the healthy panic threshold to 0, so panic is disabled: load "
                + "spills to the next priority as hosts are ejected and never falls back onto ejected hosts"
                : "minHealthPercent " + panic + ": Istio sets the healthy panic threshold to " + panic + "%");
        notes.add("outlier detection is configured, so Istio applies locality failover for this destination");
        return new IstioOutlierTranslation(config, panic, notes);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static void nonNegative(String field, Integer value) {
        if (value != null && value < 0) {
            throw new IllegalArgumentException("outlierDetection." + field + ": must be >= 0, got " + value);
        }
    }

    private static void percent(String field, Integer value) {
        if (value != null && (value < 0 || value > 100)) {
            throw new IllegalArgumentException("outlierDetection." + field + ": must be 0..100, got " + value);
        }
    }

    private static void duration(String field, Duration value) {
        if (value == null) {
            return;
        }
        if (value.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException("outlierDetection." + field + ": must be at least 1ms, got " + value);
        }
        if (value.getNano() % 1_000_000 != 0) {
            throw new IllegalArgumentException("outlierDetection." + field
                    + ": only durations to ms precision are supported, got " + value);
        }
        if (value.compareTo(OutlierDetectionConfig.MAX_DURATION) > 0) {
            throw new IllegalArgumentException("outlierDetection." + field + ": must be at most "
                    + OutlierDetectionConfig.MAX_DURATION + ", got " + value);
        }
    }

    /** A duration as users write it in Istio (1h30m, 5m, 1.5s, 100ms), for notes. */
    static String text(Duration d) {
        long ms = d.toMillis();
        if (ms == 0 || ms % 1000 != 0 && ms < 1000) {
            return ms + "ms";
        }
        StringBuilder b = new StringBuilder();
        long h = ms / 3_600_000;
        long m = ms / 60_000 % 60;
        long rest = ms % 60_000;
        if (h > 0) {
            b.append(h).append('h');
        }
        if (m > 0) {
            b.append(m).append('m');
        }
        if (rest > 0) {
            b.append(rest % 1000 == 0 ? String.valueOf(rest / 1000)
                    : java.math.BigDecimal.valueOf(rest, 3).stripTrailingZeros().toPlainString()).append('s');
        }
        return b.toString();
    }
}
