package dev.meridian.agent;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.outlier.LocalOriginResult;
import dev.meridian.core.Locality;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

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
    /** Counters per upstream locality and priority, as picked; entries are never removed. */
    final Map<Key, Counters> counters = new ConcurrentHashMap<>();
    /** Ejections this listener's cluster decided. */
    final AtomicLong ejections = new AtomicLong();
    /** The open downstream connections; a closed channel leaves the group by itself. */
    final ChannelGroup downstreams = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Runnable drain;
    volatile LocalityPlan plan;
    volatile Channel serverChannel;
    /** Set once a drain starts: HTTP responses then close their connection, as Envoy's drain close does. */
    volatile boolean draining;

    /** True on an HTTP downstream channel while a request on it waits for its response. */
    static final AttributeKey<Boolean> IN_FLIGHT = AttributeKey.valueOf("meridian.agent.inFlight");
    /** The event a drain fires on every downstream channel (on its event loop). */
    static final Object DRAIN = new Object() {
        @Override
        public String toString() {
            return "DRAIN";
        }
    };

    /** An upstream locality and priority, the labels of {@link Counters}. */
    record Key(Locality locality, int priority) {
    }

    /** What one upstream locality and priority served. Thread-safe. */
    static final class Counters {
        final LongAdder requests = new LongAdder();
        final LongAdder errors = new LongAdder();
        final AtomicInteger active = new AtomicInteger();

        /** Ends what {@link Route#started} began; an error is a 5xx or a local-origin failure. */
        void finished(boolean error) {
            active.decrementAndGet();
            if (error) {
                errors.increment();
            }
        }
    }

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

    /**
     * Counts a request (HTTP) or connection (TCP) sent to a host picked now, under the host's locality and
     * priority at the pick; the caller ends it on the returned counters.
     */
    Counters started(Host host) {
        Counters c = counters.computeIfAbsent(new Key(host.endpoint().locality(), host.priority()), k -> new Counters());
        c.requests.increment();
        c.active.incrementAndGet();
        return c;
    }

    /** Takes a downstream connection slot; false when the listener is at its cap. */
    boolean admit(Channel downstream) {
        if (draining) {
            return false;
        }
        if (connections.incrementAndGet() > listener.maxConnections()) {
            connections.decrementAndGet();
            return false;
        }
        downstreams.add(downstream);
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
