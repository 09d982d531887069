package dev.meridian.xds;

import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler on virtual time: nothing runs until the test takes the next scheduled task and runs
 * it, so retry delays are read, not waited for. Only {@link #schedule(Runnable, long, TimeUnit)} is
 * supported, which is all the ADS client uses.
 */
final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {

    /** A task and the delay it was scheduled with. */
    static final class Task implements ScheduledFuture<Object> {
        final Runnable runnable;
        final Duration delay;
        private volatile boolean cancelled;

        Task(Runnable runnable, Duration delay) {
            this.runnable = runnable;
            this.delay = delay;
        }

        /** Runs the task, as if its delay had passed. */
        void run() {
            if (!cancelled) {
                runnable.run();
            }
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(delay);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            cancelled = true;
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return cancelled;
        }

        @Override
        public Object get() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            throw new UnsupportedOperationException();
        }
    }

    private final BlockingQueue<Task> scheduled = new LinkedBlockingQueue<>();

    /** The next task scheduled, waiting for it to be scheduled. */
    Task next() throws InterruptedException {
        Task t = scheduled.poll(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
        if (t == null) {
            fail("nothing scheduled within " + RecordingListener.WAIT_SECONDS + " s");
        }
        return t;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        Task t = new Task(command, Duration.ofNanos(unit.toNanos(delay)));
        scheduled.add(t);
        return t;
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void execute(Runnable command) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void shutdown() {
    }

    @Override
    public List<Runnable> shutdownNow() {
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
    }
}
