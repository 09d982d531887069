package dev.meridian.spring;

import dev.meridian.cluster.Cluster;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The one thread that applies the commands of Meridian's clusters in a Spring application: the only
 * caller of {@link Cluster#drain()} for every cluster attached to it. It drains each cluster every
 * {@code period} (outlier sweeps, ejection returns and the end of slow start are timed work) and at
 * once when asked, after a new instance list was queued or a run of failures completed, so a
 * decision never waits for the period.
 *
 * <p>{@link MeridianLoadBalancerConfiguration} starts one per load-balanced service and stops it
 * with the service's context. Declare one as a bean of the application context to share a single
 * thread among every service instead; the application then closes it.
 *
 * <p>Thread-safe: clusters may be attached, detached and drained from any thread; the drains
 * themselves run one after another on the control thread.
 */
public final class ControlThread implements AutoCloseable {

    /** The period between timed drains when none is given. */
    public static final Duration DEFAULT_PERIOD = Duration.ofMillis(100);

    private static final Log LOG = LogFactory.getLog(ControlThread.class);

    private final ScheduledExecutorService executor;
    private final CopyOnWriteArrayList<Cluster> clusters = new CopyOnWriteArrayList<>();
    private final ScheduledFuture<?> timed;
    private final String name;

    private ControlThread(String name, Duration period) {
        this.name = name;
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, task -> {
            Thread t = new Thread(task, name);
            t.setDaemon(true);
            return t;
        });
        // The defaults matter: after close the timed drain stops, but drains already asked for still
        // run, so a request waiting for one is answered rather than left hanging.
        this.executor = pool;
        long nanos = period.toNanos();
        this.timed = executor.scheduleWithFixedDelay(this::drainAll, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Starts a control thread (a daemon thread with the given name) that drains its clusters every
     * {@code period}.
     *
     * @throws IllegalArgumentException when the name is blank or the period not positive
     */
    public static ControlThread start(String name, Duration period) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: must not be blank, got '" + name + "'");
        }
        if (period == null || period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period: must be positive, got " + period);
        }
        return new ControlThread(name, period);
    }

    /** Adds a cluster to the ones this thread drains. */
    void attach(Cluster cluster) {
        clusters.addIfAbsent(cluster);
    }

    /** Stops draining a cluster (a drain under way finishes). */
    void detach(Cluster cluster) {
        clusters.remove(cluster);
    }

    /**
     * Drains a cluster on the control thread as soon as it is free.
     *
     * @return completed when the drain has run, so the cluster's snapshot shows everything queued
     *     before this call; completed exceptionally when the thread is closed
     */
    CompletableFuture<Void> drainSoon(Cluster cluster) {
        try {
            return CompletableFuture.runAsync(cluster::drain, executor);
        } catch (RejectedExecutionException closed) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "meridian: control thread '" + name + "' is closed, so the update cannot be applied", closed));
        }
    }

    private void drainAll() {
        for (Cluster c : clusters) {
            try {
                c.drain();
            } catch (RuntimeException e) {
                // One cluster's failure must not stop the timed work of the others.
                LOG.error("meridian: drain of " + c + " failed", e);
            }
        }
    }

    /** Stops the timed drains; drains already asked for still run, then the thread ends. */
    @Override
    public void close() {
        timed.cancel(false);
        executor.shutdown();
    }

    @Override
    public String toString() {
        return "ControlThread[" + name + ", " + clusters.size() + " clusters]";
    }
}
