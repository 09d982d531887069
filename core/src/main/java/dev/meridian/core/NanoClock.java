package dev.meridian.core;

/**
 * A monotonic clock in nanoseconds: where every time-dependent part of Meridian reads the time.
 * Production code passes {@link Clocks#system()}; tests and the simulator pass a
 * {@link ManualClock}, which moves only when told, so they run on virtual time and repeat exactly.
 *
 * <p>Implementations must be thread-safe: request threads and the control thread read the same
 * clock.
 */
@FunctionalInterface
public interface NanoClock {

    /** The current time in nanoseconds; only differences between two readings mean anything. */
    long nanoTime();
}
