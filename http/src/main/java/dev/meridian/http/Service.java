package dev.meridian.http;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One service a client sends to: its name, its cluster, its retry limit and its counters, the
 * per-cluster state Envoy keeps in the cluster's resource manager and statistics.
 *
 * <p>Thread-safe: the counters are atomics, the rest is final.
 */
final class Service {
    final String name;
    final Cluster cluster;
    private final RetryBudget budget;
    /** Where to run a drain when an outcome completes a run of failures; null when the embedder drains. */
    private final Executor drainExecutor;
    private final Runnable drain;

    private final AtomicInteger activeAttempts = new AtomicInteger();
    private final AtomicInteger activeRetries = new AtomicInteger();
    private final LongAdder requests = new LongAdder();
    private final LongAdder attempts = new LongAdder();
    private final LongAdder noEndpoint = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder retrySuccess = new LongAdder();
    private final LongAdder retryOverflow = new LongAdder();
    private final LongAdder retryLimitExceeded = new LongAdder();

    Service(String name, Cluster cluster, RetryBudget budget, Executor drainExecutor) {
        this.name = name;
        this.cluster = cluster;
        this.budget = budget;
        this.drainExecutor = drainExecutor;
        this.drain = cluster::drain;
    }

    void requested() {
        requests.increment();
    }

    /** A call found no endpoint: counted, and the exception it fails with. */
    NoEndpointException noEndpoint() {
        noEndpointFound();
        return new NoEndpointException(name);
    }

    /** A call or a retry found no endpoint ({@code upstream_cx_none_healthy}). */
    void noEndpointFound() {
        noEndpoint.increment();
    }

    void attemptStarted(Host host) {
        attempts.increment();
        activeAttempts.incrementAndGet();
        cluster.requestStarted(host);
    }

    void attemptFinished(Host host) {
        cluster.requestFinished(host);
        activeAttempts.decrementAndGet();
    }

    /**
     * Takes a place for a retry if the budget has one: Envoy's {@code retries().canCreate()}
     * followed by {@code inc()}, made one atomic step so that concurrent callers never exceed the
     * limit (Envoy's atomics allow a brief overshoot).
     */
    boolean tryStartRetry() {
        while (true) {
            int inFlight = activeRetries.get();
            if (inFlight >= budget.limit(activeAttempts.get())) {
                retryOverflow.increment();
                return false;
            }
            if (activeRetries.compareAndSet(inFlight, inFlight + 1)) {
                return true;
            }
        }
    }

    /** A retry that took a place was started. */
    void retryStarted() {
        retries.increment();
    }

    /** A retry's outcome arrived, or its request ended: its place is free (Envoy's {@code resetRetry}). */
    void retryEnded() {
        activeRetries.decrementAndGet();
    }

    void retrySucceeded() {
        retrySuccess.increment();
    }

    void retryLimitExceeded() {
        retryLimitExceeded.increment();
    }

    /**
     * An outcome completed a run of failures: the cluster's control thread decides the ejection at
     * its next drain. With a drain executor that drain is asked for now.
     */
    void drainSoon() {
        if (drainExecutor != null) {
            try {
                drainExecutor.execute(drain);
            } catch (RejectedExecutionException shutDown) {
                // The embedder's own control thread still drains; nothing is lost, only later.
            }
        }
    }

    ServiceStats stats() {
        return new ServiceStats(name, requests.sum(), attempts.sum(), noEndpoint.sum(), retries.sum(),
                retrySuccess.sum(), retryOverflow.sum(), retryLimitExceeded.sum(), activeAttempts.get(),
                activeRetries.get());
    }
}
