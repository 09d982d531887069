package dev.meridian.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.RandomSource;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Envoy's {@code JitteredExponentialBackOffStrategy::nextBackOffMs}
 * ({@code source/common/common/backoff_strategy.cc}): {@code random() % interval}, then the interval
 * doubles unless that would pass the maximum, where it stays; {@code reset()} returns to the base.
 */
class JitteredBackoffTest {

    /** The largest draw: each delay is just under its interval. */
    private static final RandomSource HIGHEST = () -> -1L;
    private static final RandomSource LOWEST = () -> 0L;

    @Test
    @DisplayName("the interval doubles from the base to the maximum and stays there; each delay is below it")
    void doublesUpToTheMaximum() {
        JitteredBackoff backoff = new JitteredBackoff(Duration.ofMillis(500), Duration.ofSeconds(30), HIGHEST);
        long[] intervalsMillis = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
        for (long interval : intervalsMillis) {
            Duration delay = backoff.next();
            assertThat(delay).isLessThan(Duration.ofMillis(interval))
                    .isGreaterThan(Duration.ofMillis(interval).minusMillis(1));
        }
    }

    @Test
    @DisplayName("full jitter: the smallest draw retries at once; reset starts over from the base")
    void fullJitterAndReset() {
        assertThat(new JitteredBackoff(Duration.ofMillis(500), Duration.ofSeconds(30), LOWEST).next())
                .isEqualTo(Duration.ZERO);
        JitteredBackoff backoff = new JitteredBackoff(Duration.ofMillis(500), Duration.ofSeconds(30), HIGHEST);
        backoff.next();
        backoff.next();
        assertThat(backoff.currentInterval()).isEqualTo(Duration.ofSeconds(2));
        backoff.reset();
        assertThat(backoff.currentInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(backoff.next()).isLessThan(Duration.ofMillis(500));
    }

    @Test
    @DisplayName("Envoy's ADS defaults: 500 ms and 30 s (SubscriptionFactory::RetryInitialDelayMs, RetryMaxDelayMs)")
    void envoyDefaults() {
        assertThat(JitteredBackoff.ENVOY_INITIAL).isEqualTo(Duration.ofMillis(500));
        assertThat(JitteredBackoff.ENVOY_MAX).isEqualTo(Duration.ofSeconds(30));
    }
}
