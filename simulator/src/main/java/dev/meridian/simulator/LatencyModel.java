package dev.meridian.simulator;

import dev.meridian.istio.YamlNode;
import java.util.Locale;

/**
 * An endpoint's response time: log-normal, fitted to a median and a 99th percentile, or constant.
 * Log-normal because service latencies are skewed with a long right tail, and two percentiles are
 * what an operator knows about a service.
 *
 * <p>Immutable and thread-safe.
 *
 * @param mu the mean of the logarithm of the latency in nanoseconds
 * @param sigma the standard deviation of that logarithm; 0 for a constant latency
 */
record LatencyModel(double mu, double sigma) {

    /** The 99th percentile of the standard normal distribution. */
    private static final double Z99 = 2.3263478740408408;
    private static final long MAX_NANOS = 3_600_000_000_000L;

    /** A latency that never varies. */
    static LatencyModel constant(long nanos) {
        return new LatencyModel(Math.log(Math.max(1, nanos)), 0);
    }

    /** A log-normal latency with this median and 99th percentile ({@code p99 >= p50}). */
    static LatencyModel percentiles(long p50Nanos, long p99Nanos) {
        double mu = Math.log(Math.max(1, p50Nanos));
        return new LatencyModel(mu, (Math.log(Math.max(1, p99Nanos)) - mu) / Z99);
    }

    /** The median latency in nanoseconds. */
    long p50Nanos() {
        return Math.round(Math.exp(mu));
    }

    /** The 99th percentile latency in nanoseconds. */
    long p99Nanos() {
        return Math.round(Math.exp(mu + sigma * Z99));
    }

    /** The mean latency in nanoseconds: a log-normal's is {@code exp(mu + sigma^2 / 2)}. */
    double meanNanos() {
        return Math.exp(mu + sigma * sigma / 2);
    }

        /** This latency multiplied by {@code factor}. */
    LatencyModel times(double factor) {
        return new LatencyModel(mu + Math.log(factor), sigma);
    }

    /** A latency in nanoseconds for a standard normal draw {@code z}, at least 1 and at most one hour. */
    long sample(double z) {
        double nanos = Math.exp(mu + sigma * z);
        return nanos >= MAX_NANOS ? MAX_NANOS : Math.max(1, Math.round(nanos));
    }

    String describe() {
        return sigma == 0 ? Reports.millis(p50Nanos()) : "p50 " + Reports.millis(p50Nanos()) + ", p99 "
                + Reports.millis(p99Nanos());
    }

    /** {@code 20ms}, or {@code {p50: 20ms, p99: 80ms}}. */
    static LatencyModel parse(YamlNode node, LatencyModel fallback) {
        if (node.isMissing()) {
            return fallback;
        }
        if (!node.isMap()) {
            long nanos = node.durationNanos(0, SimulationSpec.MAX_DURATION_SECONDS);
            if (nanos <= 0) {
                throw node.error("must be greater than 0, got '" + node.shown() + "'");
            }
            return constant(nanos);
        }
        node.allowOnly("p50", "p99");
        long p50 = node.get("p50").durationNanos(-1, SimulationSpec.MAX_DURATION_SECONDS);
        if (p50 <= 0) {
            throw node.get("p50").error(p50 < 0 ? "is required" : "must be greater than 0, got '"
                    + node.get("p50").shown() + "'");
        }
        long p99 = node.get("p99").durationNanos(p50, SimulationSpec.MAX_DURATION_SECONDS);
        if (p99 < p50) {
            throw node.get("p99").error("must not be below p50 (" + Reports.millis(p50) + "), got '"
                    + node.get("p99").shown() + "'");
        }
        return percentiles(p50, p99);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "LatencyModel[%s]", describe());
    }
}
