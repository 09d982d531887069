package dev.meridian.xds;

import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.SynchronizationContext.ScheduledHandle;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An xDS client over one Aggregated Discovery Service stream that turns a
 * control plane's Cluster (CDS) and ClusterLoadAssignment (EDS) resources into commands on
 * {@link dev.meridian.cluster.Cluster}s: one watched Envoy cluster name per Meridian cluster, each
 * fed {@code configure(LbConfig)}, {@code configure(OutlierDetectionConfig)} and
 * {@code update(EndpointTable)} as its resources change. It never drains: the embedder's control
 * thread does, as for any other source of commands. A watched name may instead be told to a
 * {@link ClusterWatcher} ({@link Builder#watch(String, ClusterWatcher)}), which hears the translated
 * {@link ClusterSettings} and {@link LoadAssignment} and issues the commands itself, from the thread
 * that owns the cluster: a gRPC balancer behind a name resolver, for one.
 *
 * <p>The protocol is Envoy's ({@code api/xds_protocol.rst} in envoyproxy/envoy, published as
 * {@code api-docs/xds_protocol}): one {@code StreamAggregatedResources} stream; CDS subscribed by
 * the watched names, EDS by each accepted cluster's {@code eds_cluster_config.service_name} (or its
 * name); every response ACKed (its {@code version_info} and {@code nonce}) or NACKed (the last
 * accepted version, its nonce and {@code error_detail} naming the field). A resource that fails
 * validation keeps its last good state; the others in the response are applied, as Envoy's
 * {@code CdsApiHelper::onConfigUpdate} does. A broken stream is retried with Envoy's jittered
 * exponential backoff and resubscribes at the last accepted versions; nothing is cleared meanwhile.
 * A response whose handling fails in a way no rule foresaw is logged and ends its stream the same way,
 * rather than leave the control plane waiting for its ACK.
 * A watched cluster that a CDS response leaves out keeps its last good configuration and endpoints
 * (Envoy would remove it) and is reported as a warning; an EDS response that leaves an assignment
 * out changes nothing (the protocol's "Deleting Resources"). State of the world is the default;
 * {@link Builder#incremental(boolean)} speaks incremental ADS ({@code DeltaAggregatedResources})
 * with the same contract. {@code docs/xds.md} ("ADS client") has the whole contract and what
 * differs from Envoy.
 *
 * <p><b>Threads.</b> Thread-safe: {@link #start()} and {@link #close()} may be called from any
 * thread; gRPC callbacks and retry timers run one at a time in a {@link SynchronizationContext}, so
 * the {@link Listener} is never called concurrently with itself. Commands are queued from that
 * context (a gRPC or scheduler thread); a concurrent drain on the control thread may see a batch's
 * configuration commands before its endpoint table (at most one drain apart), never a half-applied
 * command.
 */
public final class AdsClient implements AutoCloseable {

    /** CDS's type URL. */
    public static final String CLUSTER_TYPE_URL = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    /** EDS's type URL. */
    public static final String ENDPOINT_TYPE_URL =
            "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    /** {@code node.user_agent_name} in every request. */
    public static final String USER_AGENT_NAME = "meridian";

    private static final System.Logger LOG = System.getLogger(AdsClient.class.getName());

    /**
     * What the client heard; every method runs in the client's synchronization context, one call at
     * a time, after the commands of the update it reports were queued. A listener that throws is
     * logged and ignored. All methods default to doing nothing.
     */
    public interface Listener {

        /** A new stream is being opened; {@code attempt} counts from 1 since the last response. */
        default void onConnecting(int attempt) {
        }

        /** The first response on the current stream arrived (the backoff starts over). */
        default void onConnected() {
        }

        /** The stream ended (or could not start); the next attempt starts after {@code retryIn}. */
        default void onDisconnected(Status status, Duration retryIn) {
        }

        /**
         * A response was ACKed: its resources are applied (or unchanged). {@code version} is the
         * response's {@code version_info}, or its {@code system_version_info} in incremental xDS.
         *
         * @param warnings what Meridian could not carry, and the watched clusters the response
         *     left out
         */
        default void onAccepted(String typeUrl, String version, List<XdsWarning> warnings) {
        }

        /**
         * A response was NACKed with {@code reason} as its {@code error_detail}; the rejected
         * resources keep their last good state.
         *
         * @param warnings those of the resources in the same response that were valid and applied
         */
        default void onRejected(String typeUrl, String version, String reason, List<XdsWarning> warnings) {
        }
    }

    /**
     * Starts a client on a channel the embedder owns (its target, transport, TLS and credentials);
     * {@link #close()} does not shut it down.
     *
     * @throws IllegalArgumentException when the channel is null
     */
    public static Builder builder(Channel channel) {
        if (channel == null) {
            throw new IllegalArgumentException("channel: must not be null");
        }
        return new Builder(channel);
    }

    // Read by the streams, which run inside the context.
    final Channel channel;
    final Node node;
    final SynchronizationContext context;
    final WatchedResources resources;
    final TypeState clusters;
    final TypeState endpoints;

    private final boolean incremental;
    private final JitteredBackoff reconnectBackoff;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final Listener listener;
    private final Map<String, WatchedCluster> watched;

    // Context only.
    private AdsStream<?, ?> stream;
    private ScheduledHandle retry;
    private int attempts;

    // Guarded by this.
    private boolean started;
    private boolean closed;

    private AdsClient(Builder b) {
        this.channel = b.channel;
        this.node = b.node;
        Map<String, WatchedCluster> byName = new LinkedHashMap<>();
        b.watched.forEach((name, taker) -> byName.put(name, new WatchedCluster(name, taker.target(),
                taker.watcher())));
        this.watched = Collections.unmodifiableMap(byName);
        this.resources = new WatchedResources(watched, b.envoyMinor);
        this.incremental = b.incremental;
        this.reconnectBackoff = new JitteredBackoff(b.initialBackoff, b.maxBackoff, b.random);
        this.ownsScheduler = b.scheduler == null;
        this.scheduler = ownsScheduler ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meridian-ads-retry");
            t.setDaemon(true);
            return t;
        }) : b.scheduler;
        this.listener = b.listener;
        this.context = new SynchronizationContext((thread, error) ->
                LOG.log(System.Logger.Level.ERROR, "ADS client task failed", error));
        this.clusters = new TypeState(CLUSTER_TYPE_URL, new JitteredBackoff(b.initialBackoff, b.maxBackoff, b.random));
        this.endpoints = new TypeState(ENDPOINT_TYPE_URL, new JitteredBackoff(b.initialBackoff, b.maxBackoff, b.random));
    }

    /**
     * Opens the stream and subscribes. Returns at once; updates arrive on gRPC's threads.
     *
     * @throws IllegalStateException when already started or closed
     */
    public void start() {
        synchronized (this) {
            if (started || closed) {
                throw new IllegalStateException("AdsClient: start() may be called once, before close()");
            }
            started = true;
        }
        context.execute(this::openStream);
    }

    /**
     * Cancels the stream and any pending retry. The watched clusters keep their last good state;
     * the channel stays open (the embedder owns it). Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        context.execute(() -> {
            if (retry != null) {
                retry.cancel();
                retry = null;
            }
            if (stream != null) {
                AdsStream<?, ?> s = stream;
                stream = null;
                s.cancel("AdsClient closed");
            }
        });
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "AdsClient[node " + node.getId() + ", " + (incremental ? "incremental" : "state of the world")
                + ", watching " + watched.keySet() + "]";
    }

    // ---- stream lifecycle (context only) ----

    private void openStream() {
        retry = null;
        if (isClosed()) {
            return;
        }
        attempts++;
        notifyListener(l -> l.onConnecting(attempts));
        AdsStream<?, ?> s = incremental ? new DeltaStream(this) : new SotwStream(this);
        stream = s;
        s.start();
    }

    void onStreamClosed(AdsStream<?, ?> s, Status status) {
        if (s != stream) {
            return;
        }
        stream = null;
        s.ended();
        if (isClosed()) {
            return;
        }
        Duration delay = reconnectBackoff.next();
        retry = context.schedule(this::openStream, delay.toNanos(), TimeUnit.NANOSECONDS, scheduler);
        notifyListener(l -> l.onDisconnected(status, delay));
    }

    /** Runs a response's handling if it came on the current stream, then asks for the next one. */
    void onResponse(AdsStream<?, ?> s, Runnable handling) {
        if (s != stream || isClosed()) {
            return;
        }
        if (!s.responded) {
            s.responded = true;
            attempts = 0;
            notifyListener(Listener::onConnected);
        }
        // GrpcStream::onReceiveMessage: every response resets the reconnect backoff.
        reconnectBackoff.reset();
        try {
            handling.run();
        } catch (RuntimeException e) {
            // A failure no rule foresaw, possibly before the ACK or NACK went out: the control plane
            // would wait for that answer and this stream would take no other response. Each resource
            // applied keeps its state; a new stream asks again from the versions accepted.
            LOG.log(System.Logger.Level.ERROR, "ADS response handling failed; the stream starts over", e);
            s.call.cancel("ADS response handling failed", e);
            return;
        }
        s.call.request(1);
    }

    /** Runs a task in the context after a delay, on the retry scheduler. */
    ScheduledHandle schedule(Runnable task, Duration delay) {
        return context.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS, scheduler);
    }

    void accepted(String typeUrl, String version, List<XdsWarning> warnings) {
        List<XdsWarning> copy = List.copyOf(warnings);
        notifyListener(l -> l.onAccepted(typeUrl, version, copy));
    }

    void rejected(String typeUrl, String version, String reason, List<XdsWarning> warnings) {
        List<XdsWarning> copy = List.copyOf(warnings);
        notifyListener(l -> l.onRejected(typeUrl, version, reason, copy));
    }

    /** A response of a type nobody subscribed to: Envoy's GrpcMuxImpl ignores it, without an ACK. */
    void ignoredType(String typeUrl) {
        LOG.log(System.Logger.Level.WARNING, "ADS response of unsubscribed type " + typeUrl + " ignored");
    }

    private void notifyListener(Consumer<Listener> event) {
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "ADS client listener failed", e);
        }
    }

    /** Who takes one watched cluster's updates: a cluster to feed, or a watcher to tell; exactly one is set. */
    private record UpdateTaker(dev.meridian.cluster.Cluster target, ClusterWatcher watcher) {
    }

    /** An ADS client's configuration. Not thread-safe. */
    public static final class Builder {
        private final Channel channel;
        private final Map<String, UpdateTaker> watched = new LinkedHashMap<>();
        private final Map<dev.meridian.cluster.Cluster, String> targets = new IdentityHashMap<>();
        private Node node;
        private int envoyMinor = LbConfig.LATEST_ENVOY_MINOR;
        private Duration initialBackoff = JitteredBackoff.ENVOY_INITIAL;
        private Duration maxBackoff = JitteredBackoff.ENVOY_MAX;
        private ScheduledExecutorService scheduler;
        private RandomSource random = RandomSource.threadLocal();
        private Listener listener = new Listener() { };
        private boolean incremental;

        private Builder(Channel channel) {
            this.channel = channel;
        }

        /**
         * The node this client presents in every request ({@code node.id}, {@code node.cluster},
         * {@code node.locality}, {@code user_agent_name} {@value #USER_AGENT_NAME}); control planes
         * such as istiod choose the configuration and the locality priorities by it. Required.
         *
         * @param locality the caller's locality; null or {@link Locality#UNKNOWN} sends none
         * @throws IllegalArgumentException when the id is blank
         */
        public Builder node(String id, String clusterName, Locality locality) {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("node.id: must not be blank, got '" + id + "'");
            }
            Node.Builder n = Node.newBuilder().setId(id).setUserAgentName(USER_AGENT_NAME);
            if (clusterName != null) {
                n.setCluster(clusterName);
            }
            String version = AdsClient.class.getPackage().getImplementationVersion();
            if (version != null) {
                n.setUserAgentVersion(version);
            }
            if (locality != null && !locality.isUnknown()) {
                n.setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder()
                        .setRegion(locality.region()).setZone(locality.zone()).setSubZone(locality.subzone()));
            }
            this.node = n.build();
            return this;
        }

        /**
         * The node as a whole, for control planes that read more than the identity, such as
         * istiod's node metadata ({@code ISTIO_VERSION}, {@code CLUSTER_ID}, labels); an empty
         * {@code user_agent_name} becomes {@value #USER_AGENT_NAME}. Replaces
         * {@link #node(String, String, Locality)}.
         *
         * @throws IllegalArgumentException when the node or its id is missing
         */
        public Builder node(Node node) {
            if (node == null || node.getId().isBlank()) {
                throw new IllegalArgumentException("node.id: must not be blank, got '"
                        + (node == null ? null : node.getId()) + "'");
            }
            this.node = node.getUserAgentName().isEmpty() ? node.toBuilder().setUserAgentName(USER_AGENT_NAME).build() : node;
            return this;
        }

        /**
         * Feeds {@code target} from the Envoy cluster {@code clusterName} (its CDS resource and the
         * EDS resource it names). Call once per destination; one target per name, one name per target.
         *
         * @throws IllegalArgumentException when the name is blank, the target null, or either watched already
         */
        public Builder watch(String clusterName, dev.meridian.cluster.Cluster target) {
            checkName(clusterName);
            if (target == null) {
                throw new IllegalArgumentException("watch.target: must not be null (cluster " + clusterName + ")");
            }
            String other = targets.putIfAbsent(target, clusterName);
            if (other != null) {
                throw new IllegalArgumentException("watch.target: already fed by cluster '" + other
                        + "' (one writer per destination), got it again for '" + clusterName + "'");
            }
            watched.put(clusterName, new UpdateTaker(target, null));
            return this;
        }

        /**
         * Tells {@code watcher} what the client applied for the Envoy cluster {@code clusterName}
         * (its CDS resource and the EDS resource it names), translated and validated as for a
         * {@code Cluster}, and queues no command anywhere: for an embedder whose own control thread
         * owns the destination's {@code Cluster} and turns what it hears into that cluster's
         * commands. Call once per name; the rest of the contract (warming, NACKs, last good state,
         * removal) is the {@code Cluster} mode's.
         *
         * @throws IllegalArgumentException when the name is blank or watched already, or the watcher null
         */
        public Builder watch(String clusterName, ClusterWatcher watcher) {
            checkName(clusterName);
            if (watcher == null) {
                throw new IllegalArgumentException("watch.watcher: must not be null (cluster " + clusterName + ")");
            }
            watched.put(clusterName, new UpdateTaker(null, watcher));
            return this;
        }

        private void checkName(String clusterName) {
            if (clusterName == null || clusterName.isBlank()) {
                throw new IllegalArgumentException("watch.clusterName: must not be blank, got '" + clusterName + "'");
            }
            if (watched.containsKey(clusterName)) {
                throw new IllegalArgumentException("watch.clusterName: already watched, got '" + clusterName + "'");
            }
        }

        /**
         * The Envoy release (1.x) whose rules the translation follows; default
         * {@value LbConfig#LATEST_ENVOY_MINOR}.
         *
         * @throws IllegalArgumentException outside the releases {@link LbConfig} knows
         */
        public Builder envoyRelease(int minor) {
            if (minor < LbConfig.OLDEST_ENVOY_MINOR || minor > LbConfig.LATEST_ENVOY_MINOR) {
                throw new IllegalArgumentException("envoyRelease: must be 1." + LbConfig.OLDEST_ENVOY_MINOR + " to 1."
                        + LbConfig.LATEST_ENVOY_MINOR + ", got 1." + minor);
            }
            this.envoyMinor = minor;
            return this;
        }

        /**
         * The reconnect backoff: each delay is uniform in {@code [0, interval)}, the interval
         * starting at {@code initial} and doubling up to {@code max}, reset by any response
         * (Envoy's {@code JitteredExponentialBackOffStrategy}); default Envoy's 500 ms and 30 s.
         * The same schedule paces NACKs repeated for a version already rejected.
         *
         * @throws IllegalArgumentException when initial is not positive or max is below it
         */
        public Builder backoff(Duration initial, Duration max) {
            if (initial == null || initial.isNegative() || initial.isZero()) {
                throw new IllegalArgumentException("backoff.initial: must be positive, got " + initial);
            }
            if (max == null || max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("backoff.max: must be at least initial " + initial + ", got " + max);
            }
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        /**
         * Where retries are timed. Default: a daemon thread the client owns and stops at
         * {@link #close()}; a scheduler given here is the embedder's and is left running.
         *
         * @throws IllegalArgumentException when null
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            if (scheduler == null) {
                throw new IllegalArgumentException("scheduler: must not be null");
            }
            this.scheduler = scheduler;
            return this;
        }

        /**
         * The backoff jitter's random source; default {@link RandomSource#threadLocal()}.
         *
         * @throws IllegalArgumentException when null
         */
        public Builder random(RandomSource random) {
            if (random == null) {
                throw new IllegalArgumentException("random: must not be null");
            }
            this.random = random;
            return this;
        }

        /**
         * Incremental ADS ({@code DeltaAggregatedResources}, the protocol's "Incremental xDS")
         * instead of state of the world ({@code StreamAggregatedResources}, the default): the
         * server sends only what changed, and names what it removed. The control plane must serve
         * it; the rest of the contract is the same.
         */
        public Builder incremental(boolean incremental) {
            this.incremental = incremental;
            return this;
        }

        /**
         * Hears connection changes and every ACK and NACK.
         *
         * @throws IllegalArgumentException when null
         */
        public Builder listener(Listener listener) {
            if (listener == null) {
                throw new IllegalArgumentException("listener: must not be null");
            }
            this.listener = listener;
            return this;
        }

        /**
         * Builds the client; {@link AdsClient#start()} opens the stream.
         *
         * @throws IllegalArgumentException without a node or a watched cluster
         */
        public AdsClient build() {
            if (node == null) {
                throw new IllegalArgumentException("node: must be set (node(id, clusterName, locality))");
            }
            if (watched.isEmpty()) {
                throw new IllegalArgumentException("watch: at least one cluster must be watched");
            }
            return new AdsClient(this);
        }
    }
}
