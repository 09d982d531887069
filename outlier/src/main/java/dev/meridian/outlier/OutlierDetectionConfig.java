package dev.meridian.outlier;

import java.time.Duration;

/**
 * Envoy's {@code envoy.config.cluster.v3.OutlierDetection}, validated, with Envoy's defaults as
 * {@code source/common/upstream/outlier_detection_impl.h} sets them: interval 10s, base ejection
 * time 30s, max ejection time {@code max(300s, base ejection time)}, no jitter, max ejection
 * percent 10 without always ejecting one host, consecutive 5xx 5 (enforced 100%), consecutive
 * gateway failure 5 (enforced 0%), consecutive local-origin failure 5 (enforced 100%, only with
 * split external/local-origin errors), success rate over at least 5 hosts of at least 100 requests
 * with a stdev factor of 1.9 (enforced 100%, local-origin 100%), failure percentage 85 over at least
 * 5 hosts of at least 50 requests (enforced 0%, local-origin 0%).
 *
 * <p>Durations keep millisecond precision, as Envoy reads them ({@code PROTOBUF_GET_MS_OR_DEFAULT}).
 *
 * <p>The Envoy release ({@link Builder#envoyRelease}, default {@value #LATEST_ENVOY_MINOR}, the
 * Envoy of {@code IstioRelease.LATEST}) decides two rules of {@code outlier_detection_impl.cc} that
 * changed over time: {@link #ejectionCapCountsThisHost()} (from Envoy 1.27) and
 * {@link #ejectionTimeCapped()} (from Envoy 1.17); {@code always_eject_one_host} exists from 1.31.
 *
 * <p>Immutable and thread-safe.
 */
public final class OutlierDetectionConfig {

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_BASE_EJECTION_TIME = Duration.ofSeconds(30);
    /** The max ejection time when none is given, unless the base ejection time is larger. */
    public static final Duration DEFAULT_MAX_EJECTION_TIME = Duration.ofSeconds(300);
    public static final int DEFAULT_MAX_EJECTION_PERCENT = 10;
    public static final int DEFAULT_CONSECUTIVE_5XX = 5;
    public static final int DEFAULT_CONSECUTIVE_GATEWAY_FAILURE = 5;
    public static final int DEFAULT_CONSECUTIVE_LOCAL_ORIGIN_FAILURE = 5;
    public static final int DEFAULT_SUCCESS_RATE_MINIMUM_HOSTS = 5;
    public static final int DEFAULT_SUCCESS_RATE_REQUEST_VOLUME = 100;
    /** In thousandths, as Envoy's field: 1900 is a factor of 1.9. */
    public static final int DEFAULT_SUCCESS_RATE_STDEV_FACTOR = 1900;
    public static final int DEFAULT_FAILURE_PERCENTAGE_THRESHOLD = 85;
    public static final int DEFAULT_FAILURE_PERCENTAGE_MINIMUM_HOSTS = 5;
    public static final int DEFAULT_FAILURE_PERCENTAGE_REQUEST_VOLUME = 50;
    /** The Envoy release (1.x) whose rules apply unless another is given: the Envoy of Istio 1.30. */
    public static final int LATEST_ENVOY_MINOR = 38;
    /** The oldest Envoy release (1.x) whose rules are modelled: the Envoy of Istio 1.5. */
    public static final int OLDEST_ENVOY_MINOR = 13;
    /**
     * From this Envoy release (1.27) the max-ejection check counts the host being ejected
     * (envoyproxy/envoy#27624 and #27909, merged June 2023, first in v1.27.0).
     */
    public static final int ENVOY_EJECTION_CAP_COUNTS_HOST = 27;
    /**
     * From this Envoy release (1.17) {@code max_ejection_time} caps the ejection time and the
     * multiplier decreases while a host stays healthy (envoyproxy/envoy#14235, changelogs/1.17.0.yaml:
     * "Previously, ejection time could grow without limit and never decreased").
     */
    public static final int ENVOY_EJECTION_TIME_CAPPED = 17;
    /** From this Envoy release (1.31) {@code always_eject_one_host} exists (envoyproxy/envoy#34796). */
    public static final int ENVOY_ALWAYS_EJECT_ONE_HOST = 31;
    /** Durations are capped so that ejection arithmetic in nanoseconds cannot overflow. */
    public static final Duration MAX_DURATION = Duration.ofDays(3650);

    private static final OutlierDetectionConfig DEFAULTS = new Builder().build();

    final long intervalNanos;
    final long baseEjectionNanos;
    final long maxEjectionNanos;
    final long maxEjectionJitterMillis;
    final int maxEjectionPercent;
    final boolean alwaysEjectOneHost;
    final int consecutive5xx;
    final int enforcingConsecutive5xx;
    final int consecutiveGatewayFailure;
    final int enforcingConsecutiveGatewayFailure;
    final boolean splitExternalLocalOriginErrors;
    final int consecutiveLocalOriginFailure;
    final int enforcingConsecutiveLocalOriginFailure;
    final int successRateMinimumHosts;
    final int successRateRequestVolume;
    final int successRateStdevFactor;
    final int enforcingSuccessRate;
    final int enforcingLocalOriginSuccessRate;
    final int failurePercentageThreshold;
    final int failurePercentageMinimumHosts;
    final int failurePercentageRequestVolume;
    final int enforcingFailurePercentage;
    final int enforcingFailurePercentageLocalOrigin;
    final int envoyMinor;
    final boolean ejectionCapCountsThisHost;
    final boolean ejectionTimeCapped;

    private OutlierDetectionConfig(Builder b, long maxEjectionNanos) {
        envoyMinor = b.envoyMinor;
        ejectionCapCountsThisHost = envoyMinor >= ENVOY_EJECTION_CAP_COUNTS_HOST;
        ejectionTimeCapped = envoyMinor >= ENVOY_EJECTION_TIME_CAPPED;
        intervalNanos = b.intervalMillis * 1_000_000L;
        baseEjectionNanos = b.baseEjectionMillis * 1_000_000L;
        this.maxEjectionNanos = maxEjectionNanos;
        maxEjectionJitterMillis = b.maxEjectionJitterMillis;
        maxEjectionPercent = b.maxEjectionPercent;
        alwaysEjectOneHost = b.alwaysEjectOneHost;
        consecutive5xx = b.consecutive5xx;
        enforcingConsecutive5xx = b.enforcingConsecutive5xx;
        consecutiveGatewayFailure = b.consecutiveGatewayFailure;
        enforcingConsecutiveGatewayFailure = b.enforcingConsecutiveGatewayFailure;
        splitExternalLocalOriginErrors = b.splitExternalLocalOriginErrors;
        consecutiveLocalOriginFailure = b.consecutiveLocalOriginFailure;
        enforcingConsecutiveLocalOriginFailure = b.enforcingConsecutiveLocalOriginFailure;
        successRateMinimumHosts = b.successRateMinimumHosts;
        successRateRequestVolume = b.successRateRequestVolume;
        successRateStdevFactor = b.successRateStdevFactor;
        enforcingSuccessRate = b.enforcingSuccessRate;
        enforcingLocalOriginSuccessRate = b.enforcingLocalOriginSuccessRate;
        failurePercentageThreshold = b.failurePercentageThreshold;
        failurePercentageMinimumHosts = b.failurePercentageMinimumHosts;
        failurePercentageRequestVolume = b.failurePercentageRequestVolume;
        enforcingFailurePercentage = b.enforcingFailurePercentage;
        enforcingFailurePercentageLocalOrigin = b.enforcingFailurePercentageLocalOrigin;
    }

    /** Envoy's defaults. */
    public static OutlierDetectionConfig defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this configuration, with its max ejection time set explicitly. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.intervalMillis = intervalNanos / 1_000_000L;
        b.baseEjectionMillis = baseEjectionNanos / 1_000_000L;
        b.maxEjectionMillis = maxEjectionNanos / 1_000_000L;
        b.maxEjectionJitterMillis = maxEjectionJitterMillis;
        b.maxEjectionPercent = maxEjectionPercent;
        b.alwaysEjectOneHost = alwaysEjectOneHost;
        b.consecutive5xx = consecutive5xx;
        b.enforcingConsecutive5xx = enforcingConsecutive5xx;
        b.consecutiveGatewayFailure = consecutiveGatewayFailure;
        b.enforcingConsecutiveGatewayFailure = enforcingConsecutiveGatewayFailure;
        b.splitExternalLocalOriginErrors = splitExternalLocalOriginErrors;
        b.consecutiveLocalOriginFailure = consecutiveLocalOriginFailure;
        b.enforcingConsecutiveLocalOriginFailure = enforcingConsecutiveLocalOriginFailure;
        b.successRateMinimumHosts = successRateMinimumHosts;
        b.successRateRequestVolume = successRateRequestVolume;
        b.successRateStdevFactor = successRateStdevFactor;
        b.enforcingSuccessRate = enforcingSuccessRate;
        b.enforcingLocalOriginSuccessRate = enforcingLocalOriginSuccessRate;
        b.failurePercentageThreshold = failurePercentageThreshold;
        b.failurePercentageMinimumHosts = failurePercentageMinimumHosts;
        b.failurePercentageRequestVolume = failurePercentageRequestVolume;
        b.enforcingFailurePercentage = enforcingFailurePercentage;
        b.enforcingFailurePercentageLocalOrigin = enforcingFailurePercentageLocalOrigin;
        b.envoyMinor = envoyMinor;
        return b;
    }

    /** Time between sweeps ({@code interval}). */
    public Duration interval() {
        return Duration.ofNanos(intervalNanos);
    }

    /** The first ejection's length; later ones are multiples of it ({@code base_ejection_time}). */
    public Duration baseEjectionTime() {
        return Duration.ofNanos(baseEjectionNanos);
    }

    /** The longest ejection, jitter aside ({@code max_ejection_time}). */
    public Duration maxEjectionTime() {
        return Duration.ofNanos(maxEjectionNanos);
    }

    /** The largest random time added to each ejection ({@code max_ejection_time_jitter}). */
    public Duration maxEjectionTimeJitter() {
        return Duration.ofMillis(maxEjectionJitterMillis);
    }

    public int maxEjectionPercent() {
        return maxEjectionPercent;
    }

    /** Whether one host may be ejected whatever {@link #maxEjectionPercent()} says. */
    public boolean alwaysEjectOneHost() {
        return alwaysEjectOneHost;
    }

    public int consecutive5xx() {
        return consecutive5xx;
    }

    public int enforcingConsecutive5xx() {
        return enforcingConsecutive5xx;
    }

    public int consecutiveGatewayFailure() {
        return consecutiveGatewayFailure;
    }

    public int enforcingConsecutiveGatewayFailure() {
        return enforcingConsecutiveGatewayFailure;
    }

    public boolean splitExternalLocalOriginErrors() {
        return splitExternalLocalOriginErrors;
    }

    public int consecutiveLocalOriginFailure() {
        return consecutiveLocalOriginFailure;
    }

    public int enforcingConsecutiveLocalOriginFailure() {
        return enforcingConsecutiveLocalOriginFailure;
    }

    public int successRateMinimumHosts() {
        return successRateMinimumHosts;
    }

    public int successRateRequestVolume() {
        return successRateRequestVolume;
    }

    /** In thousandths: 1900 is a factor of 1.9. */
    public int successRateStdevFactor() {
        return successRateStdevFactor;
    }

    public int enforcingSuccessRate() {
        return enforcingSuccessRate;
    }

    public int enforcingLocalOriginSuccessRate() {
        return enforcingLocalOriginSuccessRate;
    }

    public int failurePercentageThreshold() {
        return failurePercentageThreshold;
    }

    public int failurePercentageMinimumHosts() {
        return failurePercentageMinimumHosts;
    }

    public int failurePercentageRequestVolume() {
        return failurePercentageRequestVolume;
    }

    public int enforcingFailurePercentage() {
        return enforcingFailurePercentage;
    }

    public int enforcingFailurePercentageLocalOrigin() {
        return enforcingFailurePercentageLocalOrigin;
    }

    /** The Envoy release (1.x) whose rules this configuration runs under. */
    public int envoyMinor() {
        return envoyMinor;
    }

    /**
     * Whether the max-ejection check counts the host about to be ejected: Envoy 1.27 and later
     * ({@code ejectHost}: {@code 100 × (active + 1) / hosts <= max}, envoyproxy/envoy#27624, #27909).
     * False for older Envoy, whose check was {@code 100 × active / hosts < max}: the first ejection
     * always went through (unless the cap is 0) and the cap could be exceeded by one host.
     */
    public boolean ejectionCapCountsThisHost() {
        return ejectionCapCountsThisHost;
    }

    /**
     * Whether {@link #maxEjectionTime()} caps ejections and the multiplier decreases while a host
     * stays healthy: Envoy 1.17 and later (envoyproxy/envoy#14235). False for older Envoy, where an
     * ejection lasts the base ejection time times the number of times the host has been ejected,
     * without a cap, and that number never decreases.
     */
    public boolean ejectionTimeCapped() {
        return ejectionTimeCapped;
    }

    /** The enforcement percentage that applies to an ejection of this type. */
    public int enforcing(EjectionType type) {
        return switch (type) {
            case CONSECUTIVE_5XX -> enforcingConsecutive5xx;
            case CONSECUTIVE_GATEWAY_FAILURE -> enforcingConsecutiveGatewayFailure;
            case CONSECUTIVE_LOCAL_ORIGIN_FAILURE -> enforcingConsecutiveLocalOriginFailure;
            case SUCCESS_RATE -> enforcingSuccessRate;
            case SUCCESS_RATE_LOCAL_ORIGIN -> enforcingLocalOriginSuccessRate;
            case FAILURE_PERCENTAGE -> enforcingFailurePercentage;
            case FAILURE_PERCENTAGE_LOCAL_ORIGIN -> enforcingFailurePercentageLocalOrigin;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutlierDetectionConfig c
                && intervalNanos == c.intervalNanos
                && baseEjectionNanos == c.baseEjectionNanos
                && maxEjectionNanos == c.maxEjectionNanos
                && maxEjectionJitterMillis == c.maxEjectionJitterMillis
                && maxEjectionPercent == c.maxEjectionPercent
                && alwaysEjectOneHost == c.alwaysEjectOneHost
                && consecutive5xx == c.consecutive5xx
                && enforcingConsecutive5xx == c.enforcingConsecutive5xx
                && consecutiveGatewayFailure == c.consecutiveGatewayFailure
                && enforcingConsecutiveGatewayFailure == c.enforcingConsecutiveGatewayFailure
                && splitExternalLocalOriginErrors == c.splitExternalLocalOriginErrors
                && consecutiveLocalOriginFailure == c.consecutiveLocalOriginFailure
                && enforcingConsecutiveLocalOriginFailure == c.enforcingConsecutiveLocalOriginFailure
                && successRateMinimumHosts == c.successRateMinimumHosts
                && successRateRequestVolume == c.successRateRequestVolume
                && successRateStdevFactor == c.successRateStdevFactor
                && enforcingSuccessRate == c.enforcingSuccessRate
                && enforcingLocalOriginSuccessRate == c.enforcingLocalOriginSuccessRate
                && failurePercentageThreshold == c.failurePercentageThreshold
                && failurePercentageMinimumHosts == c.failurePercentageMinimumHosts
                && failurePercentageRequestVolume == c.failurePercentageRequestVolume
                && enforcingFailurePercentage == c.enforcingFailurePercentage
                && enforcingFailurePercentageLocalOrigin == c.enforcingFailurePercentageLocalOrigin
                && envoyMinor == c.envoyMinor;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(intervalNanos);
        h = 31 * h + Long.hashCode(baseEjectionNanos);
        h = 31 * h + Long.hashCode(maxEjectionNanos);
        h = 31 * h + Long.hashCode(maxEjectionJitterMillis);
        h = 31 * h + maxEjectionPercent;
        h = 31 * h + (alwaysEjectOneHost ? 1 : 0);
        h = 31 * h + consecutive5xx;
        h = 31 * h + enforcingConsecutive5xx;
        h = 31 * h + consecutiveGatewayFailure;
        h = 31 * h + enforcingConsecutiveGatewayFailure;
        h = 31 * h + (splitExternalLocalOriginErrors ? 1 : 0);
        h = 31 * h + consecutiveLocalOriginFailure;
        h = 31 * h + enforcingConsecutiveLocalOriginFailure;
        h = 31 * h + successRateMinimumHosts;
        h = 31 * h + successRateRequestVolume;
        h = 31 * h + successRateStdevFactor;
        h = 31 * h + enforcingSuccessRate;
        h = 31 * h + enforcingLocalOriginSuccessRate;
        h = 31 * h + failurePercentageThreshold;
        h = 31 * h + failurePercentageMinimumHosts;
        h = 31 * h + failurePercentageRequestVolume;
        h = 31 * h + enforcingFailurePercentage;
        h = 31 * h + enforcingFailurePercentageLocalOrigin;
        h = 31 * h + envoyMinor;
        return h;
    }

    @Override
    public String toString() {
        return "OutlierDetectionConfig[interval=" + interval() + ", baseEjectionTime=" + baseEjectionTime()
                + ", maxEjectionTime=" + maxEjectionTime() + ", maxEjectionTimeJitter=" + maxEjectionTimeJitter()
                + ", maxEjectionPercent=" + maxEjectionPercent + ", alwaysEjectOneHost=" + alwaysEjectOneHost
                + ", consecutive5xx=" + consecutive5xx + "@" + enforcingConsecutive5xx + "%"
                + ", consecutiveGatewayFailure=" + consecutiveGatewayFailure + "@"
                + enforcingConsecutiveGatewayFailure + "%"
                + ", splitExternalLocalOriginErrors=" + splitExternalLocalOriginErrors
                + ", consecutiveLocalOriginFailure=" + consecutiveLocalOriginFailure + "@"
                + enforcingConsecutiveLocalOriginFailure + "%"
                + ", successRate[minimumHosts=" + successRateMinimumHosts + ", requestVolume="
                + successRateRequestVolume + ", stdevFactor=" + successRateStdevFactor + ", enforcing="
                + enforcingSuccessRate + "%, localOrigin=" + enforcingLocalOriginSuccessRate + "%]"
                + ", failurePercentage[threshold=" + failurePercentageThreshold + ", minimumHosts="
                + failurePercentageMinimumHosts + ", requestVolume=" + failurePercentageRequestVolume
                + ", enforcing=" + enforcingFailurePercentage + "%, localOrigin="
                + enforcingFailurePercentageLocalOrigin + "%], envoy=1." + envoyMinor + "]";
    }

    /** Collects and validates a configuration; each setter rejects a bad value at once. Not thread-safe. */
    public static final class Builder {
        private long intervalMillis = DEFAULT_INTERVAL.toMillis();
        private long baseEjectionMillis = DEFAULT_BASE_EJECTION_TIME.toMillis();
        private long maxEjectionMillis = -1;
        private long maxEjectionJitterMillis;
        private int maxEjectionPercent = DEFAULT_MAX_EJECTION_PERCENT;
        private boolean alwaysEjectOneHost;
        private int consecutive5xx = DEFAULT_CONSECUTIVE_5XX;
        private int enforcingConsecutive5xx = 100;
        private int consecutiveGatewayFailure = DEFAULT_CONSECUTIVE_GATEWAY_FAILURE;
        private int enforcingConsecutiveGatewayFailure = 0;
        private boolean splitExternalLocalOriginErrors;
        private int consecutiveLocalOriginFailure = DEFAULT_CONSECUTIVE_LOCAL_ORIGIN_FAILURE;
        private int enforcingConsecutiveLocalOriginFailure = 100;
        private int successRateMinimumHosts = DEFAULT_SUCCESS_RATE_MINIMUM_HOSTS;
        private int successRateRequestVolume = DEFAULT_SUCCESS_RATE_REQUEST_VOLUME;
        private int successRateStdevFactor = DEFAULT_SUCCESS_RATE_STDEV_FACTOR;
        private int enforcingSuccessRate = 100;
        private int enforcingLocalOriginSuccessRate = 100;
        private int failurePercentageThreshold = DEFAULT_FAILURE_PERCENTAGE_THRESHOLD;
        private int failurePercentageMinimumHosts = DEFAULT_FAILURE_PERCENTAGE_MINIMUM_HOSTS;
        private int failurePercentageRequestVolume = DEFAULT_FAILURE_PERCENTAGE_REQUEST_VOLUME;
        private int enforcingFailurePercentage = 0;
        private int enforcingFailurePercentageLocalOrigin = 0;
        private int envoyMinor = LATEST_ENVOY_MINOR;

        private Builder() {
        }

        /**
         * The Envoy release (1.{@code envoyMinor}) whose rules the detector follows; default
         * {@value #LATEST_ENVOY_MINOR}. An Istio release names its Envoy ({@code IstioRelease.envoyMinor()}).
         *
         * @throws IllegalArgumentException outside {@value #OLDEST_ENVOY_MINOR}..{@value #LATEST_ENVOY_MINOR}
         */
        public Builder envoyRelease(int envoyMinor) {
            if (envoyMinor < OLDEST_ENVOY_MINOR || envoyMinor > LATEST_ENVOY_MINOR) {
                throw new IllegalArgumentException("envoyRelease: must be 1." + OLDEST_ENVOY_MINOR + " to 1."
                        + LATEST_ENVOY_MINOR + ", got 1." + envoyMinor);
            }
            this.envoyMinor = envoyMinor;
            return this;
        }

        /** At least 1ms; default 10s. */
        public Builder interval(Duration interval) {
            intervalMillis = positiveMillis("interval", interval);
            return this;
        }

        /** At least 1ms; default 30s. */
        public Builder baseEjectionTime(Duration baseEjectionTime) {
            baseEjectionMillis = positiveMillis("baseEjectionTime", baseEjectionTime);
            return this;
        }

        /**
         * At least 1ms and not below the base ejection time (checked at build); null restores the
         * default, {@code max(300s, base ejection time)}.
         */
        public Builder maxEjectionTime(Duration maxEjectionTime) {
            maxEjectionMillis = maxEjectionTime == null ? -1 : positiveMillis("maxEjectionTime", maxEjectionTime);
            return this;
        }

        /** At least 0; default 0. */
        public Builder maxEjectionTimeJitter(Duration jitter) {
            if (jitter == null || jitter.isNegative() || jitter.compareTo(MAX_DURATION) > 0) {
                throw new IllegalArgumentException("maxEjectionTimeJitter: must be 0.." + MAX_DURATION + ", got "
                        + jitter);
            }
            maxEjectionJitterMillis = jitter.toMillis();
            return this;
        }

        /** 0 to 100; default 10. */
        public Builder maxEjectionPercent(int percent) {
            maxEjectionPercent = percent("maxEjectionPercent", percent);
            return this;
        }

        /** Default false (Envoy's {@code always_eject_one_host}). */
        public Builder alwaysEjectOneHost(boolean alwaysEjectOneHost) {
            this.alwaysEjectOneHost = alwaysEjectOneHost;
            return this;
        }

        /** At least 0 (0 never triggers); default 5. */
        public Builder consecutive5xx(int count) {
            consecutive5xx = count("consecutive5xx", count);
            return this;
        }

        /** 0 to 100; default 100. */
        public Builder enforcingConsecutive5xx(int percent) {
            enforcingConsecutive5xx = percent("enforcingConsecutive5xx", percent);
            return this;
        }

        /** At least 0 (0 never triggers); default 5. */
        public Builder consecutiveGatewayFailure(int count) {
            consecutiveGatewayFailure = count("consecutiveGatewayFailure", count);
            return this;
        }

        /** 0 to 100; default 0. */
        public Builder enforcingConsecutiveGatewayFailure(int percent) {
            enforcingConsecutiveGatewayFailure = percent("enforcingConsecutiveGatewayFailure", percent);
            return this;
        }

        /** Default false: local-origin failures count as 503 and 504 responses. */
        public Builder splitExternalLocalOriginErrors(boolean split) {
            splitExternalLocalOriginErrors = split;
            return this;
        }

        /** At least 0 (0 never triggers); default 5; used only with split errors. */
        public Builder consecutiveLocalOriginFailure(int count) {
            consecutiveLocalOriginFailure = count("consecutiveLocalOriginFailure", count);
            return this;
        }

        /** 0 to 100; default 100. */
        public Builder enforcingConsecutiveLocalOriginFailure(int percent) {
            enforcingConsecutiveLocalOriginFailure = percent("enforcingConsecutiveLocalOriginFailure", percent);
            return this;
        }

        /** At least 0; default 5. */
        public Builder successRateMinimumHosts(int hosts) {
            successRateMinimumHosts = count("successRateMinimumHosts", hosts);
            return this;
        }

        /** At least 0; default 100. */
        public Builder successRateRequestVolume(int requests) {
            successRateRequestVolume = count("successRateRequestVolume", requests);
            return this;
        }

        /** In thousandths, at least 0; default 1900 (a factor of 1.9). */
        public Builder successRateStdevFactor(int thousandths) {
            successRateStdevFactor = count("successRateStdevFactor", thousandths);
            return this;
        }

        /** 0 to 100; default 100. */
        public Builder enforcingSuccessRate(int percent) {
            enforcingSuccessRate = percent("enforcingSuccessRate", percent);
            return this;
        }

        /** 0 to 100; default 100. */
        public Builder enforcingLocalOriginSuccessRate(int percent) {
            enforcingLocalOriginSuccessRate = percent("enforcingLocalOriginSuccessRate", percent);
            return this;
        }

        /** 0 to 100; default 85. */
        public Builder failurePercentageThreshold(int percent) {
            failurePercentageThreshold = percent("failurePercentageThreshold", percent);
            return this;
        }

        /** At least 0; default 5. */
        public Builder failurePercentageMinimumHosts(int hosts) {
            failurePercentageMinimumHosts = count("failurePercentageMinimumHosts", hosts);
            return this;
        }

        /** At least 0; default 50. */
        public Builder failurePercentageRequestVolume(int requests) {
            failurePercentageRequestVolume = count("failurePercentageRequestVolume", requests);
            return this;
        }

        /** 0 to 100; default 0. */
        public Builder enforcingFailurePercentage(int percent) {
            enforcingFailurePercentage = percent("enforcingFailurePercentage", percent);
            return this;
        }

        /** 0 to 100; default 0. */
        public Builder enforcingFailurePercentageLocalOrigin(int percent) {
            enforcingFailurePercentageLocalOrigin = percent("enforcingFailurePercentageLocalOrigin", percent);
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @throws IllegalArgumentException when the max ejection time is below the base ejection
         *     time, which Envoy rejects too, or when {@code alwaysEjectOneHost} is set for an Envoy
         *     release that does not have it (before 1.31)
         */
        public OutlierDetectionConfig build() {
            if (alwaysEjectOneHost && envoyMinor < ENVOY_ALWAYS_EJECT_ONE_HOST) {
                throw new IllegalArgumentException("alwaysEjectOneHost: exists from Envoy 1."
                        + ENVOY_ALWAYS_EJECT_ONE_HOST + " (envoyproxy/envoy#34796), got true for Envoy 1." + envoyMinor);
            }
            long maxMillis = maxEjectionMillis >= 0
                    ? maxEjectionMillis
                    : Math.max(DEFAULT_MAX_EJECTION_TIME.toMillis(), baseEjectionMillis);
            if (maxMillis < baseEjectionMillis) {
                throw new IllegalArgumentException("maxEjectionTime: cannot be smaller than baseEjectionTime "
                        + Duration.ofMillis(baseEjectionMillis) + ", got " + Duration.ofMillis(maxMillis));
            }
            return new OutlierDetectionConfig(this, maxMillis * 1_000_000L);
        }

        private static long positiveMillis(String field, Duration d) {
            if (d == null || d.compareTo(MAX_DURATION) > 0 || d.toMillis() < 1) {
                throw new IllegalArgumentException(field + ": must be 1ms.." + MAX_DURATION + ", got " + d);
            }
            return d.toMillis();
        }

        private static int percent(String field, int value) {
            if (value < 0 || value > 100) {
                throw new IllegalArgumentException(field + ": must be 0..100, got " + value);
            }
            return value;
        }

        private static int count(String field, int value) {
            if (value < 0) {
                throw new IllegalArgumentException(field + ": must be >= 0, got " + value);
            }
            return value;
        }
    }
}
