package dev.meridian.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * A clock that reads 0 until it is moved, for virtual time in tests and the simulator.
 *
 * <p>Thread-safe: {@link #update} and {@link #advance} may be called from any thread, and a reader
 * sees a new time as soon as the write that made it has happened (release on write, acquire on
 * read). Concurrent {@link #advance} calls each add their amount.
 */
public final class ManualClock implements NanoClock {
    private static final VarHandle TIME;

    static {
        try {
            TIME = MethodHandles.lookup().findVarHandle(ManualClock.class, "time", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through TIME
    private long time;

    /** A clock that reads 0; {@link Clocks#manual()} gives the same. */
    public ManualClock() {
    }

    @Override
    public long nanoTime() {
        return (long) TIME.getAcquire(this);
    }

    /** Sets the time. */
    public void update(long nanos) {
        TIME.setRelease(this, nanos);
    }

    /** Moves the time forward (or back, for a negative amount) by this many nanoseconds. */
    public void advance(long nanos) {
        TIME.getAndAdd(this, nanos);
    }

    /** Moves the time forward by a duration. */
    public void advance(Duration by) {
        advance(by.toNanos());
    }

    @Override
    public String toString() {
        return "ManualClock[" + nanoTime() + " ns]";
    }
}
