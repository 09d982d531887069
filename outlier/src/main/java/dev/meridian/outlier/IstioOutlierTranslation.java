package dev.meridian.outlier;

import dev.meridian.core.IstioRelease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What Istio generates for a DestinationRule's {@code trafficPolicy.outlierDetection}: the Envoy
 * outlier detection of the cluster, the healthy panic threshold Istio sets on it, and notes that
 * explain the consequences a reader is likely to miss.
 *
 * <p>The translation follows {@code applyOutlierDetection} in Istio's
 * {@code pilot/pkg/networking/core/cluster_traffic_policy.go} for the Istio release given (default
 * {@link IstioRelease#LATEST}). The legacy {@code consecutiveErrors} is ignored from Istio 1.7 on:
 * istio/istio#24087 ("Stop using OutlierDetection.ConsecutiveErrors", commit a291ab6, first tag
 * 1.7.0) removed its translation; Istio 1.5 and 1.6 ({@code v1alpha3/cluster.go}
 * {@code applyOutlierDetection}) mapped it to consecutive gateway failures with 5xx enforcement off.
 * The configuration carries the release's Envoy ({@link OutlierDetectionConfig.Builder#envoyRelease}).
 * Validation follows {@code validateOutlierDetection} in {@code pilot/pkg/config/validation/validation.go}.
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

    /** Istio's first release that ignores {@code consecutiveErrors} (istio/istio#24087, tag 1.7.0). */
    public static final int ISTIO_IGNORES_CONSECUTIVE_ERRORS = 7;

    /**
     * As {@link #translate(IstioRelease, Integer, Integer, Integer, Integer, Boolean, Duration, Duration,
     * Integer, Integer)} under the latest release's rules.
     */
    public static IstioOutlierTranslation translate(Integer consecutiveErrors, Integer consecutive5xxErrors,
                                                    Integer consecutiveGatewayErrors,
                                                    Integer consecutiveLocalOriginFailures,
                                                    Boolean splitExternalLocalOriginErrors, Duration interval,
                                                    Duration baseEjectionTime, Integer maxEjectionPercent,
                                                    Integer minHealthPercent) {
        return translate(IstioRelease.LATEST, consecutiveErrors, consecutive5xxErrors, consecutiveGatewayErrors,
                consecutiveLocalOriginFailures, splitExternalLocalOriginErrors, interval, baseEjectionTime,
                maxEjectionPercent, minHealthPercent);
    }

    /**
     * Translates the fields of Istio's {@code OutlierDetection} as the given Istio release does;
     * null means the field is absent.
     *
     * @param release the Istio release whose translation, and whose Envoy, apply
     * @param consecutiveErrors the deprecated {@code consecutiveErrors} (int32): ignored from Istio
     *     1.7 on (Envoy's defaults stand, with a note saying so); before 1.7 translated as
     *     consecutive gateway errors with 5xx enforcement off
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
    public static IstioOutlierTranslation translate(IstioRelease release, Integer consecutiveErrors,
                                                    Integer consecutive5xxErrors,
                                                    Integer consecutiveGatewayErrors,
                                                    Integer consecutiveLocalOriginFailures,
                                                    Boolean splitExternalLocalOriginErrors, Duration interval,
                                                    Duration baseEjectionTime, Integer maxEjectionPercent,
                                                    Integer minHealthPercent) {
        if (release == null) {
            throw new IllegalArgumentException("istioVersion: must not be null");
        }
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
        OutlierDetectionConfig.Builder out = OutlierDetectionConfig.builder().envoyRelease(release.envoyMinor());
        out.enforcingSuccessRate(0);
        notes.add("success-rate ejection is off: Istio sets enforcing_success_rate to 0");

        boolean legacyMapped = !release.atLeast(ISTIO_IGNORES_CONSECUTIVE_ERRORS);
        int legacy = consecutiveErrors == null || !legacyMapped ? 0 : consecutiveErrors;
        if (legacy > 0) {
            // Istio 1.6 v1alpha3/cluster.go applyOutlierDetection: "Only listen to gateway errors".
            out.consecutiveGatewayFailure(legacy).enforcingConsecutiveGatewayFailure(100).enforcingConsecutive5xx(0);
            notes.add("outlierDetection.consecutiveErrors " + legacy + " under Istio " + release + " rules (before 1."
                    + ISTIO_IGNORES_CONSECUTIVE_ERRORS + "): " + legacy + " consecutive gateway errors (502, 503, 504 "
                    + "and connection failures) eject, and consecutive 5xx ejection is off, so plain 500s do not "
                    + "count; Istio 1." + ISTIO_IGNORES_CONSECUTIVE_ERRORS + " and later ignore the field");
        } else if (consecutiveErrors != null && !legacyMapped) {
            notes.add("outlierDetection.consecutiveErrors " + consecutiveErrors + " is ignored under Istio " + release
                    + " rules (since 1." + ISTIO_IGNORES_CONSECUTIVE_ERRORS + ", istio/istio#24087): the sidecar "
                    + "keeps Envoy's defaults, " + OutlierDetectionConfig.DEFAULT_CONSECUTIVE_5XX + " consecutive 5xx "
                    + "(500-599, plain 500 included) eject, gateway errors are counted but not enforced; only Istio "
                    + "before 1." + ISTIO_IGNORES_CONSECUTIVE_ERRORS + " mapped it to consecutive gateway errors");
        }
        if (consecutive5xxErrors != null) {
            out.consecutive5xx(consecutive5xxErrors).enforcingConsecutive5xx(consecutive5xxErrors > 0 ? 100 : 0);
        } else if (legacy == 0 && consecutiveErrors == null) {
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
        if (effectivePercent < 100 && config.ejectionCapCountsThisHost()) {
            notes.add((maxPercent > 0 ? "maxEjectionPercent " + maxPercent : "maxEjectionPercent is absent: Envoy's default "
                    + effectivePercent) + "% applies to all hosts of the cluster; under Envoy's current rule a host is "
                    + "ejected only if the ejected share, counting it, stays within that, so "
                    + (effectivePercent == 0 ? "no host is ever ejected"
                            : "a cluster needs at least " + ceilDiv(100, effectivePercent)
                            + " hosts before any can be ejected"));
        } else if (effectivePercent < 100) {
            notes.add((maxPercent > 0 ? "maxEjectionPercent " + maxPercent : "maxEjectionPercent is absent: Envoy's default "
                    + effectivePercent) + "% applies to all hosts of the cluster; under the rule of Envoy 1."
                    + config.envoyMinor() + " (before 1.27) a host is ejected while the share already ejected is below "
                    + "that, so " + (effectivePercent == 0 ? "no host is ever ejected"
                            : "the first ejection always goes through and the cap can be exceeded by one host"));
        }
        if (!config.ejectionTimeCapped()) {
            notes.add("ejections last " + text(config.baseEjectionTime()) + " times the number of times the host has "
                    + "been ejected, without a cap (Envoy 1." + config.envoyMinor() + " has no max_ejection_time; it "
                    + "came with 1.17), and that number never decreases; a host returns at the first sweep (every "
                    + text(config.interval()) + ") after its time is up");
        } else if (config.maxEjectionTime().equals(config.baseEjectionTime())) {
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
