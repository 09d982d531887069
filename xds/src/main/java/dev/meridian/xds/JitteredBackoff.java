package dev.meridian.xds;

import dev.meridian.core.RandomSource;
import java.time.Duration;

/**
 * Envoy's reconnect backoff for xDS streams: full jitter over an interval that doubles from
 * {@code initial} up to {@code max}, reset when the server answers.
 *
 * <p>Envoy: {@code JitteredExponentialBackOffStrategy::nextBackOffMs} in
 * {@code source/common/common/backoff_strategy.cc} returns {@code random() % interval} and then
 * doubles the interval (capped at the maximum); {@code GrpcStream::onReceiveMessage}
 * ({@code source/extensions/config_subscription/grpc/grpc_stream.h}) resets it on every response;
 * the ADS defaults are {@code SubscriptionFactory::RetryInitialDelayMs = 500} and
 * {@code RetryMaxDelayMs = 30000} ({@code envoy/config/subscription_factory.h}). grpc-java's
 * {@code ExponentialBackoffPolicy} (1 s, ×1.6, ±20 % jitter, 120 s cap) differs in the numbers,
 * not in the idea; Meridian follows Envoy.
 *
 * <p>Not thread-safe: the ADS client uses it only inside its synchronization context.
 */
final class JitteredBackoff {

    /** Envoy's {@code RetryInitialDelayMs}. */
    static final Duration ENVOY_INITIAL = Duration.ofMillis(500);
    /** Envoy's {@code RetryMaxDelayMs}. */
    static final Duration ENVOY_MAX = Duration.ofSeconds(30);

    private final long initialNanos;
    private final long maxNanos;
    private final RandomSource random;
    private long nextIntervalNanos;

    JitteredBackoff(Duration initial, Duration max, RandomSource random) {
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
        this.random = random;
        this.nextIntervalNanos = initialNanos;
    }

    /** The delay before the next attempt: uniform in {@code [0, interval)}; the interval then doubles. */
    Duration next() {
        long interval = nextIntervalNanos;
        nextIntervalNanos = interval < maxNanos / 2 ? interval * 2 : maxNanos;
        long jittered = (long) (random.nextDouble() * interval);
        return Duration.ofNanos(Math.min(jittered, maxNanos));
    }

    /** Back to the initial interval, after the server answered. */
    void reset() {
        nextIntervalNanos = initialNanos;
    }

    /** The upper bound of the delay {@link #next()} returns next. */
    Duration currentInterval() {
        return Duration.ofNanos(nextIntervalNanos);
    }
}
