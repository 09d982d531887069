package dev.meridian.xds.server;

import dev.meridian.istio.KubernetesService;
import dev.meridian.lb.LbConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.PriorityAssignment;
import dev.meridian.xds.ClusterSettings;
import dev.meridian.xds.EnvoyClusters;
import dev.meridian.xds.LoadAssignments;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * An ADS server for Envoy sidecars: each connecting Envoy receives, for every cluster of the
 * {@link MeshModel}, the CDS {@code Cluster} and the EDS {@code ClusterLoadAssignment} istiod would
 * send it, with the priorities and locality weights Meridian computes for that sidecar's locality and
 * labels ({@link dev.meridian.istio.DestinationPolicy#assign(java.util.List, Caller, KubernetesService,
 * dev.meridian.core.IstioRelease)}).
 *
 * <p>Built on java-control-plane: a {@link V3DiscoveryServer} over a {@link SimpleCache} keyed by
 * {@link SidecarGroup}. A group's snapshot is computed when its first sidecar asks (on the gRPC
 * thread, before the request is answered), and every known group's is computed again on the
 * executor when {@link #update} brings a new model; the snapshot version is the model's generation,
 * so it only increases. An Envoy sending its node only on the first message of a stream, as Istio's
 * bootstrap asks ({@code set_node_on_first_message_only}), is grouped by that first node.
 *
 * <p>A node whose metadata is malformed (labels that are not strings) has its stream closed with
 * {@code INVALID_ARGUMENT} naming the field; other streams are not affected. A cluster Meridian cannot
 * translate is left out of the group's snapshot and reported to the warning consumer.
 *
 * <p>Thread-safe: {@link #update} may be called from any thread; snapshots are published one group at
 * a time under one lock, so a sidecar sees either the previous model's configuration or the new one,
 * never a mix within one response; while a new model is being published, the groups not yet reached
 * keep serving the previous version.
 */
public final class SidecarXdsServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SidecarXdsServer.class.getName());

    private final int requestedPort;
    private final Executor executor;
    private final ExecutorService ownedExecutor;
    private final Consumer<String> warnings;
    private final SimpleCache<SidecarGroup> cache;
    private final V3DiscoveryServer discovery;
    private final BindableService ads;
    private final Set<SidecarGroup> known = ConcurrentHashMap.newKeySet();
    private final Object publishLock = new Object();
    private final AtomicLong generation = new AtomicLong();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final AtomicLong streamsOpened = new AtomicLong();
    private final AtomicLong responsesSent = new AtomicLong();
    private final AtomicLong rejectedNodes = new AtomicLong();
    private volatile Published current;
    private long publishedGeneration;
    /** Assignment warnings already reported for {@link #reportedGeneration}, so each is said once per model. */
    private final Set<String> reported = new HashSet<>();
    private long reportedGeneration;
    private Server server;

    /** A model and the generation it was given. */
    private record Published(MeshModel model, long generation) {
    }

    private SidecarXdsServer(Builder b) {
        this.requestedPort = b.port;
        this.ownedExecutor = b.executor == null ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "meridian-xds-publish");
            t.setDaemon(true);
            return t;
        }) : null;
        this.executor = b.executor != null ? b.executor : ownedExecutor;
        this.warnings = b.warnings;
        this.current = new Published(b.model, generation.incrementAndGet());
        this.cache = new SimpleCache<>(SidecarXdsServer::groupOf);
        List<DiscoveryServerCallbacks> all = new ArrayList<>();
        all.add(new Callbacks());
        all.addAll(b.callbacks);
        this.discovery = new V3DiscoveryServer(all, cache);
        this.ads = new FirstNodeAds(discovery.getAggregatedDiscoveryServiceImpl());
    }

    /** A builder; {@link Builder#model} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link SidecarXdsServer}. Not thread-safe. */
    public static final class Builder {
        private int port;
        private MeshModel model;
        private Executor executor;
        private Consumer<String> warnings = w -> { };
        private final List<DiscoveryServerCallbacks> callbacks = new ArrayList<>();

        private Builder() {
        }

        /** The TCP port to listen on; 0 (the default) picks a free one, see {@link SidecarXdsServer#port()}. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port: must be 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** The first model served; later ones come through {@link SidecarXdsServer#update}. */
        public Builder model(MeshModel model) {
            this.model = model;
            return this;
        }

        /**
         * Where snapshots are computed again after {@link SidecarXdsServer#update}; by default one
         * thread the server owns. A direct executor ({@code Runnable::run}) makes {@code update}
         * publish before it returns.
         */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /**
         * Receives, one line each, the clusters left out of a group's snapshot and why, and what the
         * priority assignment warns about (once per cluster and model). Called on gRPC's and the
         * executor's threads, one call at a time; an exception it throws is logged and ignored.
         */
        public Builder warnings(Consumer<String> warnings) {
            this.warnings = warnings == null ? w -> { } : warnings;
            return this;
        }

        /**
         * Adds java-control-plane callbacks (for metrics or logs), called after the server's own on
         * every stream event.
         */
        public Builder callbacks(DiscoveryServerCallbacks callbacks) {
            if (callbacks == null) {
                throw new IllegalArgumentException("callbacks: required, got null");
            }
            this.callbacks.add(callbacks);
            return this;
        }

        /** @throws IllegalArgumentException when no model is given */
        public SidecarXdsServer build() {
            if (model == null) {
                throw new IllegalArgumentException("model: required, got null");
            }
            return new SidecarXdsServer(this);
        }
    }

    /**
     * Starts listening (plaintext gRPC, all interfaces).
     *
     * @throws IOException when the port cannot be bound
     * @throws IllegalStateException when already started
     */
    public synchronized SidecarXdsServer start() throws IOException {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        server = Grpc.newServerBuilderForPort(requestedPort, InsecureServerCredentials.create())
                .addService(ads).build().start();
        return this;
    }

    /** The port listened on, once started; -1 before. */
    public synchronized int port() {
        return server == null ? -1 : server.getPort();
    }

    /**
     * The ADS service alone, for an application that serves it from its own gRPC server instead of
     * {@link #start()}.
     */
    public BindableService adsService() {
        return ads;
    }

    /**
     * Serves a new model: every known group's snapshot is computed again on the executor and pushed to
     * the sidecars connected, under the next version.
     *
     * @throws IllegalArgumentException when the model is null
     */
    public void update(MeshModel model) {
        if (model == null) {
            throw new IllegalArgumentException("model: required, got null");
        }
        synchronized (publishLock) {
            current = new Published(model, generation.incrementAndGet());
        }
        try {
            executor.execute(this::republish);
        } catch (RejectedExecutionException e) {
            // Closed: nobody is left to push to.
        }
    }

    /** The model served (or about to be, while a republish is pending). */
    public MeshModel model() {
        return current.model();
    }

    /** The version of the latest model: its snapshots carry it as their version string. */
    public long version() {
        return current.generation();
    }

    /** The groups of the sidecars seen since the start. */
    public Set<SidecarGroup> groups() {
        return Set.copyOf(known);
    }

    /** The snapshot served to a group, or null before one of its sidecars asked. */
    public Snapshot snapshot(SidecarGroup group) {
        return cache.getSnapshot(group);
    }

    /** ADS streams open now. */
    public int openStreams() {
        return openStreams.get();
    }

    /** ADS streams opened since the start. */
    public long streamsOpened() {
        return streamsOpened.get();
    }

    /** Discovery responses sent since the start. */
    public long responsesSent() {
        return responsesSent.get();
    }

    /** Streams closed because their node's metadata was malformed. */
    public long rejectedNodes() {
        return rejectedNodes.get();
    }

    /** Stops listening, cancelling the open streams, and stops the executor the server owns. */
    @Override
    public void close() {
        Server s;
        synchronized (this) {
            s = server;
        }
        if (s != null) {
            s.shutdownNow();
            try {
                s.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
    }

    private void republish() {
        synchronized (publishLock) {
            Published p = current;
            if (p.generation() <= publishedGeneration) {
                return;
            }
            for (SidecarGroup g : known) {
                cache.setSnapshot(g, snapshotFor(g, p));
            }
            publishedGeneration = p.generation();
        }
    }

    private void firstRequest(SidecarGroup g) {
        if (known.contains(g)) {
            return;
        }
        synchronized (publishLock) {
            // Known only once it has a snapshot: a group known without one would leave its sidecars
            // waiting until the next model.
            if (!known.contains(g)) {
                cache.setSnapshot(g, snapshotFor(g, current));
                known.add(g);
            }
        }
    }

    /** What istiod sends one group's sidecars for every cluster of the model. Under {@link #publishLock}. */
    private Snapshot snapshotFor(SidecarGroup group, Published p) {
        MeshModel model = p.model();
        if (reportedGeneration != p.generation()) {
            reported.clear();
            reportedGeneration = p.generation();
        }
        Caller caller = group.caller();
        List<Cluster> clusters = new ArrayList<>();
        List<ClusterLoadAssignment> assignments = new ArrayList<>();
        for (MeshCluster c : model.clusters()) {
            try {
                KubernetesService service = c.service().kubernetesService();
                PriorityAssignment a = c.policy().assign(c.endpoints(), caller, service, model.release());
                for (String w : a.warnings()) {
                    // Where Istio's own behaviour is surprising (overlapping distribute rules, wrap-around).
                    if (reported.add(c.name() + "\n" + w)) {
                        warn("cluster " + c.name() + ": " + w);
                    }
                }
                // Istio turns locality_weighted_lb_config on per cluster as the assignment says.
                LbConfig lb = c.policy().lbFor(service, model.release()).toBuilder()
                        .localityWeighted(a.localityWeighted()).build();
                Cluster cluster = EnvoyClusters.toEnvoy(new ClusterSettings(c.name(), lb, c.policy().outlier()));
                ClusterLoadAssignment cla = LoadAssignments.toEnvoy(c.name(), a, lb.overprovisioningFactor());
                clusters.add(cluster);
                assignments.add(cla);
            } catch (IllegalArgumentException e) {
                warn("cluster " + c.name() + " left out for sidecars at '" + group.locality() + "': "
                        + e.getMessage());
            } catch (RuntimeException e) {
                // Not a refusal but a failure: this group goes without the cluster rather than without a
                // snapshot, on the gRPC thread of its first request or the publishing thread.
                LOG.log(System.Logger.Level.ERROR, "cluster " + c.name() + " failed for sidecars at '"
                        + group.locality() + "'", e);
                warn("cluster " + c.name() + " left out for sidecars at '" + group.locality() + "': " + e);
            }
        }
        return Snapshot.create(clusters, assignments, List.of(), List.of(), List.of(), Long.toString(p.generation()));
    }

    /** Hands a line to the embedder's consumer; one that throws is logged, never the server's failure. */
    private void warn(String line) {
        try {
            warnings.accept(line);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "warning consumer failed on: " + line, e);
        }
    }

    /** The group a request's node belongs to; never throws, since the cache calls it on every request. */
    private static SidecarGroup groupOf(Node node) {
        try {
            return SidecarGroup.of(node);
        } catch (IllegalArgumentException e) {
            // The callbacks close such a stream before the cache sees its request.
            return SidecarGroup.UNKNOWN;
        }
    }

    /** Computes a group's first snapshot before its first request is answered, and counts streams. */
    private final class Callbacks implements DiscoveryServerCallbacks {
        @Override
        public void onStreamOpen(long streamId, String typeUrl) {
            openStreams.incrementAndGet();
            streamsOpened.incrementAndGet();
        }

        @Override
        public void onStreamClose(long streamId, String typeUrl) {
            openStreams.decrementAndGet();
        }

        @Override
        public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
            openStreams.decrementAndGet();
        }

        @Override
        public void onV3StreamRequest(long streamId, DiscoveryRequest request) throws RequestException {
            firstRequest(checkedGroup(request.getNode()));
        }

        @Override
        public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) throws RequestException {
            firstRequest(checkedGroup(request.getNode()));
        }

        @Override
        public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
            responsesSent.incrementAndGet();
        }

        @Override
        public void onV3StreamDeltaResponse(long streamId, DeltaDiscoveryRequest request,
                                            DeltaDiscoveryResponse response) {
            responsesSent.incrementAndGet();
        }

        private SidecarGroup checkedGroup(Node node) throws RequestException {
            try {
                return SidecarGroup.of(node);
            } catch (IllegalArgumentException e) {
                rejectedNodes.incrementAndGet();
                throw new RequestException(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
            }
        }
    }

    /**
     * java-control-plane's ADS with the stream's first node put into the requests that omit it, so
     * the cache groups every request of a stream as its first.
     */
    private static final class FirstNodeAds extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
        private final AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase delegate;

        FirstNodeAds(AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase delegate) {
            this.delegate = delegate;
        }

        @Override
        public StreamObserver<DiscoveryRequest> streamAggregatedResources(
                StreamObserver<DiscoveryResponse> responses) {
            return new FirstNodeRequests<>(delegate.streamAggregatedResources(responses), DiscoveryRequest::hasNode,
                    DiscoveryRequest::getNode, (r, node) -> r.toBuilder().setNode(node).build());
        }

        @Override
        public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
                StreamObserver<DeltaDiscoveryResponse> responses) {
            return new FirstNodeRequests<>(delegate.deltaAggregatedResources(responses),
                    DeltaDiscoveryRequest::hasNode, DeltaDiscoveryRequest::getNode,
                    (r, node) -> r.toBuilder().setNode(node).build());
        }
    }

    /** One stream's requests, of either protocol variant, each carrying the stream's first node. */
    private static final class FirstNodeRequests<T> implements StreamObserver<T> {
        private final StreamObserver<T> requests;
        private final Predicate<T> hasNode;
        private final Function<T, Node> nodeOf;
        private final BiFunction<T, Node, T> withNode;
        // gRPC calls a stream's request observer one message at a time.
        private Node first;

        FirstNodeRequests(StreamObserver<T> requests, Predicate<T> hasNode, Function<T, Node> nodeOf,
                          BiFunction<T, Node, T> withNode) {
            this.requests = requests;
            this.hasNode = hasNode;
            this.nodeOf = nodeOf;
            this.withNode = withNode;
        }

        @Override
        public void onNext(T r) {
            if (hasNode.test(r)) {
                first = first == null ? nodeOf.apply(r) : first;
            } else if (first != null) {
                r = withNode.apply(r, first);
            }
            requests.onNext(r);
        }

        @Override
        public void onError(Throwable t) {
            requests.onError(t);
        }

        @Override
        public void onCompleted() {
            requests.onCompleted();
        }
    }
}
