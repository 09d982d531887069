package dev.meridian.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.SynchronizationContext.ScheduledHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An xDS client over one Aggregated Discovery Service stream (state of the world) that turns a
 * control plane's Cluster (CDS) and ClusterLoadAssignment (EDS) resources into commands on
 * {@link dev.meridian.cluster.Cluster}s: one watched Envoy cluster name per Meridian cluster, each
 * fed {@code configure(LbConfig)}, {@code configure(OutlierDetectionConfig)} and
 * {@code update(EndpointTable)} as its resources change. It never drains: the embedder's control
 * thread does, as for any other source of commands.
 *
 * <p>The protocol is Envoy's ({@code api/xds_protocol.rst} in envoyproxy/envoy, published as
 * {@code api-docs/xds_protocol}): one {@code StreamAggregatedResources} stream; CDS subscribed by
 * the watched names, EDS by each accepted cluster's {@code eds_cluster_config.service_name} (or its
 * name); every response ACKed (its {@code version_info} and {@code nonce}) or NACKed (the last
 * accepted version, its nonce and {@code error_detail} naming the field). A resource that fails
 * validation keeps its last good state; the others in the response are applied, as Envoy's
 * {@code CdsApiHelper::onConfigUpdate} does. A broken stream is retried with Envoy's jittered
 * exponential backoff and resubscribes at the last accepted versions; nothing is cleared meanwhile.
 * A watched cluster that a CDS response leaves out keeps its last good configuration and endpoints
 * (Envoy would remove it) and is reported as a warning; an EDS response that leaves an assignment
 * out changes nothing (the protocol's "Deleting Resources"). {@code docs/xds.md} ("ADS client")
 * has the whole contract and what differs from Envoy.
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
         * A response was ACKed: its resources are applied (or unchanged).
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

    private final Channel channel;
    private final Node node;
    private final Map<String, WatchedCluster> watched;
    private final int envoyMinor;
    private final JitteredBackoff reconnectBackoff;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final Listener listener;
    private final SynchronizationContext context;
    private final TypeState clusters;
    private final TypeState endpoints;

    // Everything below is read and written only inside the context.
    /** Accepted EDS resources by name, for the names subscribed now. */
    private final Map<String, AcceptedAssignment> assignments = new HashMap<>();
    private AdsStream stream;
    private ScheduledHandle retry;
    private int attempts;
    private boolean started;
    private boolean closed;

    private AdsClient(Builder b) {
        this.channel = b.channel;
        this.node = b.node;
        Map<String, WatchedCluster> byName = new LinkedHashMap<>();
        b.watched.forEach((name, target) -> byName.put(name, new WatchedCluster(name, target)));
        this.watched = Collections.unmodifiableMap(byName);
        this.envoyMinor = b.envoyMinor;
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
            clusters.cancelPendingNack();
            endpoints.cancelPendingNack();
            if (stream != null) {
                AdsStream s = stream;
                stream = null;
                s.call.cancel("AdsClient closed", null);
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
        return "AdsClient[node " + node.getId() + ", watching " + watched.keySet() + "]";
    }

    // ---- stream lifecycle (context only) ----

    private void openStream() {
        retry = null;
        if (isClosed()) {
            return;
        }
        attempts++;
        notifyListener(l -> l.onConnecting(attempts));
        ClientCall<DiscoveryRequest, DiscoveryResponse> call = channel.newCall(
                AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod(), CallOptions.DEFAULT);
        AdsStream s = new AdsStream(call);
        stream = s;
        call.start(s, new Metadata());
        call.request(1);
        // The protocol's "ACK/NACK and resource type instance version": a new stream's first request
        // carries the most recent version the client accepted, so the server may skip what it has.
        send(s, clusters, watched.keySet(), null);
        List<String> edsNames = endpointNames();
        if (!edsNames.isEmpty()) {
            send(s, endpoints, edsNames, null);
        }
    }

    private void onStreamClosed(AdsStream s, Status status) {
        if (s != stream) {
            return;
        }
        stream = null;
        clusters.cancelPendingNack();
        endpoints.cancelPendingNack();
        if (isClosed()) {
            return;
        }
        Duration delay = reconnectBackoff.next();
        retry = context.schedule(this::openStream, delay.toNanos(), TimeUnit.NANOSECONDS, scheduler);
        notifyListener(l -> l.onDisconnected(status, delay));
    }

    private void onResponse(AdsStream s, DiscoveryResponse response) {
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
        s.nonces.put(response.getTypeUrl(), response.getNonce());
        switch (response.getTypeUrl()) {
            case CLUSTER_TYPE_URL -> onClusters(s, response);
            case ENDPOINT_TYPE_URL -> onEndpoints(s, response);
            // Envoy's GrpcMuxImpl ignores a type nobody subscribed to, without an ACK.
            default -> LOG.log(System.Logger.Level.WARNING, "ADS response of unsubscribed type "
                    + response.getTypeUrl() + " ignored");
        }
        s.call.request(1);
    }

    // ---- CDS ----

    private void onClusters(AdsStream s, DiscoveryResponse response) {
        String version = response.getVersionInfo();
        Map<String, Cluster> byName;
        try {
            byName = decode(response, Cluster.parser(), Cluster::getName, "envoy.config.cluster.v3.Cluster");
        } catch (IllegalArgumentException e) {
            reject(s, clusters, version, e.getMessage(), List.of());
            return;
        }
        List<String> errors = new ArrayList<>();
        List<XdsWarning> warnings = new ArrayList<>();
        for (WatchedCluster w : watched.values()) {
            Cluster resource = byName.get(w.name);
            if (resource == null) {
                if (w.resource != null && !w.removed) {
                    // SotW CDS: absence means removal (xds_protocol.rst, "Deleting Resources"). Envoy
                    // removes the cluster; Meridian keeps serving it rather than go empty.
                    w.removed = true;
                    warnings.add(new XdsWarning("cluster", "'" + w.name + "' is no longer in the control plane's"
                            + " clusters (removed); Meridian keeps its last good configuration and endpoints and"
                            + " stops watching its endpoints until it returns"));
                }
                continue;
            }
            if (!w.removed && resource.equals(w.resource)) {
                continue;
            }
            try {
                warnings.addAll(acceptCluster(w, resource));
            } catch (RuntimeException e) {
                errors.add("cluster '" + w.name + "': " + message(e));
            }
        }
        if (errors.isEmpty()) {
            accept(s, clusters, version, warnings);
        } else {
            reject(s, clusters, version, String.join("; ", errors), warnings);
        }
        // Envoy and grpc-java both follow a CDS change with the EDS names it implies.
        List<String> edsNames = endpointNames();
        assignments.keySet().retainAll(edsNames);
        if (s.endpointNames == null ? !edsNames.isEmpty() : !edsNames.equals(s.endpointNames)) {
            send(s, endpoints, edsNames, null);
        }
    }

    /** Validates one CDS resource, then commits it and queues what changed; throws before committing. */
    private List<XdsWarning> acceptCluster(WatchedCluster w, Cluster resource) {
        // The translation rejects what Meridian cannot run at all (cluster_type, ORIGINAL_DST).
        Translated<ClusterSettings> translated = EnvoyClusters.fromEnvoy(resource, envoyMinor);
        List<XdsWarning> warnings = new ArrayList<>();
        String edsName = null;
        LoadAssignment inline = null;
        if (resource.getType() == Cluster.DiscoveryType.EDS) {
            warnings.addAll(translated.warnings());
            String serviceName = resource.getEdsClusterConfig().getServiceName();
            edsName = serviceName.isEmpty() ? resource.getName() : serviceName;
            if (resource.getEdsClusterConfig().hasEdsConfig()) {
                ConfigSource source = resource.getEdsClusterConfig().getEdsConfig();
                if (!source.hasAds() && !source.hasSelf()) {
                    warnings.add(new XdsWarning("cluster.eds_cluster_config.eds_config", "'" + w.name
                            + "' names a " + source.getConfigSourceSpecifierCase() + " source; Meridian"
                            + " fetches its endpoints over this ADS stream"));
                }
            }
        } else {
            // STATIC, STRICT_DNS and LOGICAL_DNS carry their endpoints inline. The translation warns
            // that load_assignment (and a STATIC type) are left to LoadAssignments.fromEnvoy, which
            // this client does, so those two warnings would only mislead here; a DNS type's warning
            // (names used as given, never resolved) stays.
            for (XdsWarning warning : translated.warnings()) {
                boolean carriedHere = warning.field().equals("cluster.load_assignment")
                        || (warning.field().equals("cluster.type") && resource.getType() == Cluster.DiscoveryType.STATIC);
                if (!carriedHere) {
                    warnings.add(warning);
                }
            }
            Translated<LoadAssignment> t = LoadAssignments.fromEnvoy(resource.getLoadAssignment().toBuilder()
                    .setClusterName(resource.getName()).build());
            warnings.addAll(t.warnings());
            inline = t.value();
        }
        AcceptedAssignment fromEds = edsName == null ? null : assignments.get(edsName);
        LoadAssignment current = edsName == null ? inline : (fromEds == null ? null : fromEds.assignment);
        // Without an assignment yet the cluster is warming: it waits for its first, as Envoy's does.
        if (current != null) {
            WatchedCluster.balancing(translated.value(), current); // throws before anything is committed
        }
        w.resource = resource;
        w.settings = translated.value();
        w.endpointsName = edsName;
        w.inlineAssignment = inline;
        w.removed = false;
        w.publish(current);
        return warnings;
    }

    // ---- EDS ----

    private void onEndpoints(AdsStream s, DiscoveryResponse response) {
        String version = response.getVersionInfo();
        Map<String, ClusterLoadAssignment> byName;
        try {
            byName = decode(response, ClusterLoadAssignment.parser(), ClusterLoadAssignment::getClusterName,
                    "envoy.config.endpoint.v3.ClusterLoadAssignment");
        } catch (IllegalArgumentException e) {
            reject(s, endpoints, version, e.getMessage(), List.of());
            return;
        }
        List<String> subscribed = endpointNames();
        List<String> errors = new ArrayList<>();
        List<XdsWarning> warnings = new ArrayList<>();
        for (Map.Entry<String, ClusterLoadAssignment> e : byName.entrySet()) {
            String name = e.getKey();
            // "The client will silently ignore any supplied resources that were not explicitly requested."
            if (!subscribed.contains(name)) {
                continue;
            }
            AcceptedAssignment previous = assignments.get(name);
            if (previous != null && previous.resource.equals(e.getValue())) {
                continue;
            }
            try {
                warnings.addAll(acceptAssignment(name, e.getValue()));
            } catch (RuntimeException ex) {
                errors.add("cluster_load_assignment '" + name + "': " + message(ex));
            }
        }
        // Names the response left out keep their assignment: for EDS an absence deletes nothing
        // (xds_protocol.rst, "Grouping Resources into Responses" and "Deleting Resources").
        if (errors.isEmpty()) {
            accept(s, endpoints, version, warnings);
        } else {
            reject(s, endpoints, version, String.join("; ", errors), warnings);
        }
    }

    private List<XdsWarning> acceptAssignment(String name, ClusterLoadAssignment resource) {
        Translated<LoadAssignment> translated = LoadAssignments.fromEnvoy(resource);
        LoadAssignment assignment = translated.value();
        List<WatchedCluster> dependents = new ArrayList<>();
        for (WatchedCluster w : watched.values()) {
            if (w.dependsOn(name)) {
                if (w.settings != null) {
                    WatchedCluster.balancing(w.settings, assignment); // throws before anything is committed
                }
                dependents.add(w);
            }
        }
        List<XdsWarning> warnings = new ArrayList<>(translated.warnings());
        if (assignment.table().size() == 0) {
            warnings.add(new XdsWarning("cluster_load_assignment.endpoints", "'" + name + "' has no endpoint;"
                    + " its clusters now have nothing to pick, as in Envoy"));
        }
        assignments.put(name, new AcceptedAssignment(resource, assignment));
        for (WatchedCluster w : dependents) {
            w.publish(assignment);
        }
        return warnings;
    }

    private record AcceptedAssignment(ClusterLoadAssignment resource, LoadAssignment assignment) {
    }

    /** The EDS names the accepted, not removed, EDS clusters need now, sorted. */
    private List<String> endpointNames() {
        TreeSet<String> names = new TreeSet<>();
        for (WatchedCluster w : watched.values()) {
            if (!w.removed && w.endpointsName != null) {
                names.add(w.endpointsName);
            }
        }
        return List.copyOf(names);
    }

    // ---- decoding ----

    /**
     * The response's resources by name.
     *
     * @throws IllegalArgumentException when one cannot be decoded: a response is decoded whole
     *     before anything in it is applied, as Envoy's {@code GrpcMuxImpl::onDiscoveryResponse}
     *     decodes before it calls the subscription; a SotW CDS response with an unreadable resource
     *     cannot say which clusters it left out
     */
    private static <T extends Message> Map<String, T> decode(DiscoveryResponse response, Parser<T> parser,
                                                             Function<T, String> nameOf, String typeName) {
        String typeUrl = response.getTypeUrl();
        Map<String, T> byName = new LinkedHashMap<>();
        for (int i = 0; i < response.getResourcesCount(); i++) {
            Any any = response.getResources(i);
            if (!any.getTypeUrl().equals(typeUrl)) {
                throw new IllegalArgumentException("resources[" + i + "].type_url: expected " + typeUrl + ", got '"
                        + any.getTypeUrl() + "'");
            }
            T resource;
            try {
                resource = parser.parseFrom(any.getValue());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalArgumentException("resources[" + i + "].value: not a valid " + typeName + " ("
                        + e.getMessage() + ")");
            }
            String name = nameOf.apply(resource);
            if (name.isEmpty()) {
                throw new IllegalArgumentException("resources[" + i + "]: " + typeName + " without a name");
            }
            // xds_protocol.rst, "Duplicate Resource Names": clients NACK a response naming a resource twice.
            if (byName.put(name, resource) != null) {
                throw new IllegalArgumentException("resources[" + i + "]: duplicate resource name '" + name + "'");
            }
        }
        return byName;
    }

    private static String message(RuntimeException e) {
        return e instanceof IllegalArgumentException && e.getMessage() != null
                ? e.getMessage()
                : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    // ---- ACK / NACK ----

    private void accept(AdsStream s, TypeState type, String version, List<XdsWarning> warnings) {
        type.acceptedVersion = version;
        type.lastRejectedVersion = null;
        type.rejectionBackoff.reset();
        send(s, type, namesFor(type), null);
        List<XdsWarning> copy = List.copyOf(warnings);
        notifyListener(l -> l.onAccepted(type.typeUrl, version, copy));
    }

    private void reject(AdsStream s, TypeState type, String version, String reason, List<XdsWarning> warnings) {
        List<XdsWarning> copy = List.copyOf(warnings);
        notifyListener(l -> l.onRejected(type.typeUrl, version, reason, copy));
        if (!version.equals(type.lastRejectedVersion)) {
            type.lastRejectedVersion = version;
            type.rejectionBackoff.reset();
            send(s, type, namesFor(type), reason);
            return;
        }
        // A server that answers a NACK with the version just rejected (java-control-plane's and
        // go-control-plane's snapshot caches do) would otherwise loop as fast as the network allows;
        // Envoy leaves that to its optional rate_limit_settings. Meridian paces the repeats.
        Duration delay = type.rejectionBackoff.next();
        type.pendingNack = context.schedule(() -> {
            type.pendingNack = null;
            if (s == stream) {
                send(s, type, namesFor(type), reason);
            }
        }, delay.toNanos(), TimeUnit.NANOSECONDS, scheduler);
    }

    private List<String> namesFor(TypeState type) {
        return type == clusters ? List.copyOf(watched.keySet()) : endpointNames();
    }

    private void send(AdsStream s, TypeState type, java.util.Collection<String> names, String errorDetail) {
        type.cancelPendingNack();
        DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder()
                .setNode(node)
                .setTypeUrl(type.typeUrl)
                .setVersionInfo(type.acceptedVersion)
                .addAllResourceNames(names)
                .setResponseNonce(s.nonces.getOrDefault(type.typeUrl, ""));
        if (errorDetail != null) {
            request.setErrorDetail(com.google.rpc.Status.newBuilder()
                    .setCode(Status.Code.INVALID_ARGUMENT.value())
                    .setMessage(errorDetail));
        }
        if (type == endpoints) {
            s.endpointNames = List.copyOf(names);
        }
        s.call.sendMessage(request.build());
    }

    private void notifyListener(java.util.function.Consumer<Listener> event) {
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "ADS client listener failed", e);
        }
    }

    /** Per-type protocol state across streams. Context only. */
    private final class TypeState {
        final String typeUrl;
        final JitteredBackoff rejectionBackoff;
        /** The last ACKed version_info; "" before the first. */
        String acceptedVersion = "";
        String lastRejectedVersion;
        ScheduledHandle pendingNack;

        TypeState(String typeUrl, JitteredBackoff rejectionBackoff) {
            this.typeUrl = typeUrl;
            this.rejectionBackoff = rejectionBackoff;
        }

        void cancelPendingNack() {
            if (pendingNack != null) {
                pendingNack.cancel();
                pendingNack = null;
            }
        }
    }

    /** One StreamAggregatedResources call; its callbacks hop into the context. */
    private final class AdsStream extends ClientCall.Listener<DiscoveryResponse> {
        final ClientCall<DiscoveryRequest, DiscoveryResponse> call;
        /** The last nonce per type on this stream; nonces do not outlive their stream. */
        final Map<String, String> nonces = new HashMap<>();
        /** The EDS names last sent on this stream (null before the first EDS request). */
        List<String> endpointNames;
        boolean responded;

        AdsStream(ClientCall<DiscoveryRequest, DiscoveryResponse> call) {
            this.call = call;
        }

        @Override
        public void onMessage(DiscoveryResponse message) {
            context.execute(() -> onResponse(this, message));
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            context.execute(() -> onStreamClosed(this, status));
        }
    }

    /** An ADS client's configuration. Not thread-safe. */
    public static final class Builder {
        private final Channel channel;
        private final Map<String, dev.meridian.cluster.Cluster> watched = new LinkedHashMap<>();
        private final Map<dev.meridian.cluster.Cluster, String> targets = new IdentityHashMap<>();
        private Node node;
        private int envoyMinor = LbConfig.LATEST_ENVOY_MINOR;
        private Duration initialBackoff = JitteredBackoff.ENVOY_INITIAL;
        private Duration maxBackoff = JitteredBackoff.ENVOY_MAX;
        private ScheduledExecutorService scheduler;
        private RandomSource random = RandomSource.threadLocal();
        private Listener listener = new Listener() { };

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
            if (clusterName == null || clusterName.isBlank()) {
                throw new IllegalArgumentException("watch.clusterName: must not be blank, got '" + clusterName + "'");
            }
            if (target == null) {
                throw new IllegalArgumentException("watch.target: must not be null (cluster " + clusterName + ")");
            }
            if (watched.containsKey(clusterName)) {
                throw new IllegalArgumentException("watch.clusterName: already watched, got '" + clusterName + "'");
            }
            String other = targets.putIfAbsent(target, clusterName);
            if (other != null) {
                throw new IllegalArgumentException("watch.target: already fed by cluster '" + other
                        + "' (one writer per destination), got it again for '" + clusterName + "'");
            }
            watched.put(clusterName, target);
            return this;
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
