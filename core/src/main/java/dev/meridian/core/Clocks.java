package dev.meridian.core;

import java.time.Duration;

/**
 * Where Meridian's time comes from. Every time-dependent class takes a {@link NanoClock}:
 * production code passes {@link #system()}, tests and the simulator pass a {@link #manual()} clock
 * that moves only when told, so they run on virtual time and repeat exactly.
 */
public final class Clocks {
    private static final NanoClock SYSTEM = System::nanoTime;

    private Clocks() {
    }

    /** The monotonic system clock ({@link System#nanoTime()}). */
    public static NanoClock system() {
        return SYSTEM;
    }

    /** A clock that reads 0 until advanced; see {@link ManualClock}. */
    public static ManualClock manual() {
        return new ManualClock();
    }

    /** Advances a manual clock by a duration. */
    public static void advance(ManualClock clock, Duration by) {
        clock.advance(by);
    }
}
