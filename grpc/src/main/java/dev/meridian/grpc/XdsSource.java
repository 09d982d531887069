package dev.meridian.grpc;

import dev.meridian.core.Locality;
import dev.meridian.xds.AdsClient;
import dev.meridian.xds.ClusterSettings;
import dev.meridian.xds.ClusterWatcher;
import dev.meridian.xds.LoadAssignment;
import dev.meridian.xds.XdsWarning;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.Channel;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A {@link MeridianSource} over an xDS control plane: each watched service is an Envoy cluster
 * name, fetched with an {@link AdsClient} in watcher mode ({@link ClusterWatcher}) and delivered as
 * {@link ResolvedService#ofDecided decided}: the endpoints at the priorities and with the locality
 * weights of its {@code ClusterLoadAssignment}, the balancing and the outlier detection of its CDS
 * {@code Cluster}, which {@code meridian_locality} runs as sent, as an Envoy runs them. The control
 * plane decided for the node this source presents ({@link Builder#node}); the channel's
 * {@link MeridianNameResolverProvider#CALLER} plays no part.
 *
 * <p>Names: the target's service is the Envoy cluster name exactly, such as
 * {@code outbound|9080||reviews.default.svc.cluster.local}, whose {@code |} a target writes
 * {@code %7C} ({@link MeridianNameResolverProvider#target}).
 *
 * <p>Each watch runs its own ADS stream on the embedder's channel (one HTTP/2 connection for all),
 * subscribed to its one cluster, and closes it with the watch; the balancer behind the channel owns
 * the destination's {@code Cluster}, so the ADS client writes to none. Until the cluster is first
 * applied, a watch reports as an {@code UNAVAILABLE} error: the control plane saying it has no such
 * cluster (a state-of-the-world CDS response without it), a rejected resource, a broken stream, or
 * nothing within {@link Builder#initialFetchTimeout} (Envoy's and grpc-java's 15 s, for control planes
 * that stay silent about names they do not have, as java-control-plane's cache does). After it, the
 * last good state stands through all of these, as in the ADS client's {@code Cluster} mode; they are
 * logged. Every {@link XdsWarning} is logged, and handed to the embedder's {@link Builder#listener}.
 *
 * <p>Thread-safe. A watch's deliveries come from its ADS client's synchronization context and from
 * the timer, serialized per watch.
 */
public final class XdsSource implements MeridianSource, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(XdsSource.class.getName());

    /** Envoy's {@code initial_fetch_timeout} default and grpc-java's {@code INITIAL_RESOURCE_FETCH_TIMEOUT_SEC}. */
    public static final Duration DEFAULT_INITIAL_FETCH_TIMEOUT = Duration.ofSeconds(15);

    private final Channel channel;
    private final Consumer<AdsClient.Builder> node;
    private final String nodeId;
    private final boolean incremental;
    private final Integer envoyMinor;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration initialFetchTimeout;
    private final AdsClient.Listener listener;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;

    private XdsSource(Builder b) {
        this.channel = b.channel;
        this.node = b.node;
        this.nodeId = b.nodeId;
        this.incremental = b.incremental;
        this.envoyMinor = b.envoyMinor;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.initialFetchTimeout = b.initialFetchTimeout;
        this.listener = b.listener;
        this.ownsScheduler = b.scheduler == null;
        this.scheduler = ownsScheduler ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meridian-xds-source");
            t.setDaemon(true);
            return t;
        }) : b.scheduler;
    }

    /**
     * Starts a source on a channel to the control plane that the embedder owns (its target,
     * transport, TLS and credentials); {@link #close()} does not shut it down.
     *
     * @throws IllegalArgumentException when the channel is null
     */
    public static Builder builder(Channel controlPlane) {
        if (controlPlane == null) {
            throw new IllegalArgumentException("controlPlane: must not be null");
        }
        return new Builder(controlPlane);
    }

    @Override
    public Watch watch(String service, Listener listener) {
        if (service == null || service.isBlank() || listener == null) {
            throw new IllegalArgumentException("service and listener: must not be blank or null, got '" + service + "'");
        }
        Subscription s = new Subscription(service, listener);
        AdsClient.Builder client = AdsClient.builder(channel).incremental(incremental).scheduler(scheduler)
                .watch(service, s).listener(s);
        node.accept(client);
        if (initialBackoff != null) {
            client.backoff(initialBackoff, maxBackoff);
        }
        if (envoyMinor != null) {
            client.envoyRelease(envoyMinor);
        }
        s.start(client.build());
        return s;
    }

    /** Stops the retry and timeout thread this source owns (a given scheduler is left running); close watches first. */
    @Override
    public void close() {
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "XdsSource[node " + nodeId + ", " + channel.authority() + "]";
    }

    /** One watched cluster: its ADS client's watcher and listener; deliveries serialized under its lock. */
    private final class Subscription implements Watch, ClusterWatcher, AdsClient.Listener {
        private final String cluster;
        private final Listener target;
        private AdsClient client;
        private ScheduledFuture<?> timeout;
        // Guarded by this.
        private boolean delivered;
        private boolean closed;

        Subscription(String cluster, Listener target) {
            this.cluster = cluster;
            this.target = target;
        }

        void start(AdsClient c) {
            synchronized (this) {
                client = c;
                if (!initialFetchTimeout.isZero()) {
                    try {
                        timeout = scheduler.schedule(this::timedOut, initialFetchTimeout.toNanos(), TimeUnit.NANOSECONDS);
                    } catch (RejectedExecutionException e) {
                        closed = true;
                        target.onError(Status.UNAVAILABLE.withDescription("meridian: xDS cluster '" + cluster
                                + "': the source is closed"));
                        return;
                    }
                }
            }
            c.start();
        }

        private synchronized void timedOut() {
            if (!delivered && !closed) {
                fail("nothing from the control plane within " + initialFetchTimeout.toMillis() + " ms (it has no"
                        + " such cluster, or not its endpoints)");
            }
        }

        /** Before the first delivery the channel hears why it has nothing; after it, the last good state stands. */
        private void fail(String why) {
            String message = "meridian: xDS cluster '" + cluster + "': " + why;
            if (delivered) {
                LOG.log(System.Logger.Level.WARNING, message + "; the last good state stays");
                return;
            }
            target.onError(Status.UNAVAILABLE.withDescription(message));
        }

        // ---- ClusterWatcher (the ADS client's context) ----

        @Override
        public synchronized void onApplied(ClusterSettings settings, LoadAssignment assignment) {
            if (closed) {
                return;
            }
            delivered = true;
            if (timeout != null) {
                timeout.cancel(false);
            }
            target.onService(ResolvedService.ofDecided(cluster, new DecidedBalancing(assignment.table(),
                    assignment.applyTo(settings.lb()), settings.outlierDetection())));
        }

        @Override
        public synchronized void onMissing(String clusterName) {
            if (!closed) {
                fail(delivered ? "removed by the control plane" : "the control plane has no such cluster");
            }
        }

        // ---- AdsClient.Listener (the ADS client's context) ----

        @Override
        public void onConnecting(int attempt) {
            listener.onConnecting(attempt);
        }

        @Override
        public void onConnected() {
            listener.onConnected();
        }

        @Override
        public void onDisconnected(Status status, Duration retryIn) {
            listener.onDisconnected(status, retryIn);
            synchronized (this) {
                if (!closed) {
                    fail("the control plane stream ended (" + status.getCode()
                            + (status.getDescription() == null ? "" : " " + status.getDescription()) + "); retrying in "
                            + retryIn.toMillis() + " ms");
                }
            }
        }

        @Override
        public void onAccepted(String typeUrl, String version, List<XdsWarning> warnings) {
            for (XdsWarning w : warnings) {
                LOG.log(System.Logger.Level.WARNING, "meridian: xDS cluster '" + cluster + "': " + w);
            }
            listener.onAccepted(typeUrl, version, warnings);
        }

        @Override
        public void onRejected(String typeUrl, String version, String reason, List<XdsWarning> warnings) {
            for (XdsWarning w : warnings) {
                LOG.log(System.Logger.Level.WARNING, "meridian: xDS cluster '" + cluster + "': " + w);
            }
            listener.onRejected(typeUrl, version, reason, warnings);
            synchronized (this) {
                if (!closed) {
                    fail("version '" + version + "' of its " + (typeUrl.equals(AdsClient.CLUSTER_TYPE_URL) ? "CDS"
                            : "EDS") + " resource was rejected: " + reason);
                }
            }
        }

        // ---- Watch ----

        @Override
        public void close() {
            AdsClient c;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                c = client;
                if (timeout != null) {
                    timeout.cancel(false);
                }
            }
            if (c != null) {
                c.close();
            }
        }

        @Override
        public String toString() {
            return "XdsSource.Watch[" + cluster + "]";
        }
    }

    /** An xDS source's configuration. Not thread-safe. */
    public static final class Builder {
        private final Channel channel;
        private Consumer<AdsClient.Builder> node;
        private String nodeId;
        private boolean incremental;
        private Integer envoyMinor;
        /** Null for the ADS client's default, Envoy's. */
        private Duration initialBackoff;
        private Duration maxBackoff;
        private Duration initialFetchTimeout = DEFAULT_INITIAL_FETCH_TIMEOUT;
        private ScheduledExecutorService scheduler;
        private AdsClient.Listener listener = new AdsClient.Listener() { };

        private Builder(Channel channel) {
            this.channel = channel;
        }

        /**
         * The node every watch presents ({@link AdsClient.Builder#node(String, String, Locality)}): the
         * control plane chooses the clusters and the locality priorities by it. Required (this or
         * {@link #node(Node)}).
         *
         * @throws IllegalArgumentException when the id is blank
         */
        public Builder node(String id, String clusterName, Locality locality) {
            Consumer<AdsClient.Builder> n = b -> b.node(id, clusterName, locality);
            n.accept(AdsClient.builder(channel)); // validates now, not at the first watch
            this.node = n;
            this.nodeId = id;
            return this;
        }

        /**
         * The node as a whole ({@link AdsClient.Builder#node(Node)}), for control planes that read more
         * than its identity, such as istiod's node metadata.
         *
         * @throws IllegalArgumentException when the node or its id is missing
         */
        public Builder node(Node node) {
            Consumer<AdsClient.Builder> n = b -> b.node(node);
            n.accept(AdsClient.builder(channel));
            this.node = n;
            this.nodeId = node.getId();
            return this;
        }

        /** Incremental ADS instead of state of the world ({@link AdsClient.Builder#incremental}). */
        public Builder incremental(boolean incremental) {
            this.incremental = incremental;
            return this;
        }

        /**
         * The Envoy release (1.x) whose rules the translation follows ({@link AdsClient.Builder#envoyRelease}).
         *
         * @throws IllegalArgumentException outside the releases Meridian knows
         */
        public Builder envoyRelease(int minor) {
            AdsClient.builder(channel).envoyRelease(minor);
            this.envoyMinor = minor;
            return this;
        }

        /**
         * The reconnect backoff ({@link AdsClient.Builder#backoff}); default Envoy's 500 ms and 30 s.
         *
         * @throws IllegalArgumentException when initial is not positive or max is below it
         */
        public Builder backoff(Duration initial, Duration max) {
            AdsClient.builder(channel).backoff(initial, max);
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        /**
         * How long a new watch waits for its cluster before its channel hears that it has none
         * (the stream keeps waiting, and a late cluster is delivered); default
         * {@link #DEFAULT_INITIAL_FETCH_TIMEOUT}, {@link Duration#ZERO} for no limit.
         *
         * @throws IllegalArgumentException when negative or null
         */
        public Builder initialFetchTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative()) {
                throw new IllegalArgumentException("initialFetchTimeout: must be zero or positive, got " + timeout);
            }
            this.initialFetchTimeout = timeout;
            return this;
        }

        /**
         * Where retries and initial-fetch timeouts are timed. Default: a daemon thread the source owns
         * and stops at {@link XdsSource#close()}; a scheduler given here is the embedder's and must
         * outlive the watches.
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
         * Hears every watch's connection changes, ACKs and NACKs with their warnings (which the
         * source logs too); called from the watches' ADS clients, one call at a time per watch.
         *
         * @throws IllegalArgumentException when null
         */
        public Builder listener(AdsClient.Listener listener) {
            if (listener == null) {
                throw new IllegalArgumentException("listener: must not be null");
            }
            this.listener = listener;
            return this;
        }

        /**
         * Builds the source; each {@link XdsSource#watch} opens its stream.
         *
         * @throws IllegalArgumentException without a node
         */
        public XdsSource build() {
            if (node == null) {
                throw new IllegalArgumentException("node: must be set (node(id, clusterName, locality))");
            }
            return new XdsSource(this);
        }
    }
}
