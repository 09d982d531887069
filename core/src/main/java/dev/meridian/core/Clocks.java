package dev.meridian.core;

import java.time.Duration;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Where Meridian's time comes from. Every time-dependent class takes an Agrona {@link NanoClock}:
 * production code passes {@link #system()}, tests and the simulator pass a {@link #manual()} clock
 * that moves only when told, so they run on virtual time and repeat exactly.
 */
public final class Clocks {
    private Clocks() {
    }

    /** The monotonic system clock ({@link System#nanoTime()}). */
    public static NanoClock system() {
        return SystemNanoClock.INSTANCE;
    }

    /**
     * A clock that reads 0 until advanced. Agrona's {@link CachedNanoClock}: {@code update} and
     * {@code advance} are thread-safe and readers see the new time after the write (release/acquire).
     */
    public static CachedNanoClock manual() {
        return new CachedNanoClock();
    }

    /** Advances a manual clock by a duration. */
    public static void advance(CachedNanoClock clock, Duration by) {
        clock.advance(by.toNanos());
    }
}
