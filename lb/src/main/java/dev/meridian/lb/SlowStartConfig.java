package dev.meridian.lb;

import java.time.Duration;

/**
 * Envoy's {@code slow_start_config}: a host that joined the set less than {@code window} ago takes
 * a reduced, growing weight {@code weight × max(minWeightPercent/100, (t/window)^(1/aggression))}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param window how long a new host ramps up; greater than zero
 * @param aggression the ramp's curvature, greater than 0 (1.0 is linear)
 * @param minWeightPercent the floor of the ramp, 0 to 100 percent of the host's weight
 */
public record SlowStartConfig(Duration window, double aggression, double minWeightPercent) {

    /** Envoy's default aggression. */
    public static final double DEFAULT_AGGRESSION = 1.0;
    /** Envoy's default minimum weight percent. */
    public static final double DEFAULT_MIN_WEIGHT_PERCENT = 10.0;

    public SlowStartConfig {
        if (window == null || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("slowStart.window: must be greater than zero, got " + window);
        }
        if (!(aggression > 0) || Double.isInfinite(aggression)) {
            throw new IllegalArgumentException("slowStart.aggression: must be greater than 0, got " + aggression);
        }
        if (!(minWeightPercent >= 0 && minWeightPercent <= 100)) {
            throw new IllegalArgumentException("slowStart.minWeightPercent: must be 0..100, got "
                    + minWeightPercent);
        }
    }

    /** A slow start over {@code window} with Envoy's default aggression (1.0) and floor (10%). */
    public static SlowStartConfig of(Duration window) {
        return new SlowStartConfig(window, DEFAULT_AGGRESSION, DEFAULT_MIN_WEIGHT_PERCENT);
    }
}
