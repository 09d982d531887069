package dev.meridian.lb.internal;

import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SlowStartConfig;

/**
 * Envoy's slow start for one snapshot ({@code EdfLoadBalancerBase::applySlowStartFactor} in
 * {@code load_balancer_impl.cc}): the configured ramp, when each host's ramp began, and the clock
 * reading from which no host is ramping any more, worked out once when the snapshot is built so
 * that a pick compares one clock reading with it instead of dividing.
 *
 * <p>Immutable and thread-safe.
 */
final class SlowStart {
    private static final long NANOS_PER_MILLI = 1_000_000L;

    /** The window in milliseconds, 0 when slow start does not apply to the policy or is not configured. */
    final long windowMillis;
    private final double aggression;
    private final double minWeightFraction;
    /** Per host id, when its slow start began, {@link Snapshot#ESTABLISHED} or {@link Snapshot#NOT_YET_HEALTHY}. */
    private final long[] since;
    private final byte[] state;
    /** Whether some healthy host is still ramping at the build time. */
    final boolean pending;
    /** When {@link #pending}, the first clock reading at which no host is ramping; else unused. */
    final long endsAt;

    SlowStart(SlowStartConfig config, LbPolicy policy, long[] since, byte[] state, long now) {
        this.since = since;
        this.state = state;
        if (config != null && (policy == LbPolicy.ROUND_ROBIN || policy == LbPolicy.LEAST_REQUEST)) {
            this.windowMillis = config.window().toMillis();
            this.aggression = config.aggression();
            this.minWeightFraction = config.minWeightPercent() / 100.0;
        } else {
            this.windowMillis = 0;
            this.aggression = 1.0;
            this.minWeightFraction = 0.1;
        }
        // A host ramps while (t - since) / 10^6 < window in whole milliseconds, that is while
        // t - since < window × 10^6: its ramp is over from since + window × 10^6 on.
        boolean any = false;
        long latest = 0;
        if (windowMillis > 0) {
            long windowNanos = windowMillis * NANOS_PER_MILLI;
            for (int h = 0; h < since.length; h++) {
                if (ramping(h)) {
                    long end = since[h] + windowNanos;
                    if (!any || end - latest > 0) {
                        latest = end;
                        any = true;
                    }
                }
            }
        }
        this.pending = any && now - latest < 0;
        this.endsAt = latest;
    }

    /** Whether the host has a slow-start time and takes traffic as healthy: only such hosts ramp. */
    private boolean ramping(int host) {
        long s = since[host];
        return state[host] == Snapshot.HEALTHY && s != Snapshot.ESTABLISHED && s != Snapshot.NOT_YET_HEALTHY;
    }

    /** Whether some host ramps at this clock reading. */
    boolean activeAt(long now) {
        return pending && now - endsAt < 0;
    }

    /** Envoy's {@code applySlowStartFactor}, in milliseconds as Envoy counts them. */
    double weight(int host, double weight, long now) {
        if (!ramping(host)) {
            return weight;
        }
        long elapsedMillis = (now - since[host]) / NANOS_PER_MILLI;
        if (elapsedMillis >= windowMillis) {
            return weight;
        }
        double timeFactor = (double) Math.max(1L, elapsedMillis) / windowMillis;
        double ramp = aggression == 1.0 || timeFactor == 1.0 ? timeFactor : Math.pow(timeFactor, 1.0 / aggression);
        return weight * Math.max(ramp, minWeightFraction);
    }
}
