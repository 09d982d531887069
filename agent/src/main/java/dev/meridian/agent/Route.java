package dev.meridian.agent;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.outlier.LocalOriginResult;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One listener's destination: its {@link Cluster}, the plan it runs and the downstream connections it
 * holds. Outcomes go through here so that one deciding an ejection is followed by a drain on the
 * control thread at once, not at the next period.
 *
 * <p>Thread-safe: event loops pick and record; only the control thread drains and replaces the plan.
 */
final class Route {
    final AgentConfig.Listener listener;
    final Cluster cluster;
    private final Executor control;
    private final AtomicInteger connections = new AtomicInteger();
    /** HTTP only: one pool per event loop, so a pool is only ever touched by its own loop. */
    private final Map<EventLoop, HttpUpstreamPool> pools = new ConcurrentHashMap<>();
    private final Runnable drain;
    volatile LocalityPlan plan;
    volatile Channel serverChannel;

    Route(AgentConfig.Listener listener, Cluster cluster, Executor control) {
        this.listener = listener;
        this.cluster = cluster;
        this.control = control;
        this.drain = cluster::drain;
    }

    /** Records a response status; a pending ejection is drained at once. */
    void record(Host host, int status) {
        if (cluster.record(host, status)) {
            drainSoon();
        }
    }

    /** Records what the agent saw itself; a pending ejection is drained at once. */
    void recordLocalOrigin(Host host, LocalOriginResult result) {
        if (cluster.recordLocalOrigin(host, result)) {
            drainSoon();
        }
    }

    void drainSoon() {
        try {
            control.execute(drain);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // The agent is closing: nobody reads the cluster any more.
        }
    }

    /** Takes a downstream connection slot; false when the listener is at its cap. */
    boolean admit() {
        if (connections.incrementAndGet() > listener.maxConnections()) {
            connections.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        connections.decrementAndGet();
    }

    /** Downstream connections held now. */
    int connections() {
        return connections.get();
    }

    HttpUpstreamPool pool(EventLoop loop, AgentConfig config) {
        return pools.computeIfAbsent(loop, l -> new HttpUpstreamPool(l, config));
    }
}
