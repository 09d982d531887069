package dev.meridian.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.grpc.SynchronizationContext.ScheduledHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A state-of-the-world {@code StreamAggregatedResources} call (Envoy's {@code api/xds_protocol.rst}):
 * each request names every resource of its type, each response carries a type's resources under one
 * {@code version_info}, answered by an ACK (that version) or a NACK (the last accepted version and
 * {@code error_detail}), both echoing its {@code nonce}.
 *
 * <p>Not thread-safe: used only inside the client's synchronization context.
 */
final class SotwStream extends AdsStream<DiscoveryRequest, DiscoveryResponse> {

    /** The last nonce per type on this stream; nonces do not outlive their stream. */
    private final Map<String, String> nonces = new HashMap<>();
    /** NACKs waiting out their pacing delay, by type. */
    private final Map<String, PendingNack> pendingNacks = new HashMap<>();
    /** The EDS names last sent on this stream (null before the first EDS request). */
    private List<String> endpointNames;

    SotwStream(AdsClient client) {
        super(client, AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod());
    }

    @Override
    void subscribe() {
        // "ACK/NACK and resource type instance version": a new stream's first request carries the
        // most recent version the client accepted, so the server may skip what the client has.
        send(client.clusters, null);
        if (!client.resources.endpointNames().isEmpty()) {
            send(client.endpoints, null);
        }
    }

    @Override
    void handle(DiscoveryResponse response) {
        nonces.put(response.getTypeUrl(), response.getNonce());
        switch (response.getTypeUrl()) {
            case AdsClient.CLUSTER_TYPE_URL -> onClusters(response);
            case AdsClient.ENDPOINT_TYPE_URL -> onEndpoints(response);
            // Envoy's GrpcMuxImpl::onDiscoveryResponse ignores a type nobody subscribed to, without an ACK.
            default -> client.ignoredType(response.getTypeUrl());
        }
    }

    @Override
    void ended() {
        for (PendingNack nack : pendingNacks.values()) {
            nack.timer.cancel();
        }
        pendingNacks.clear();
    }

    private record PendingNack(ScheduledHandle timer, String reason) {
    }

    private void onClusters(DiscoveryResponse response) {
        WatchedResources resources = client.resources;
        String version = response.getVersionInfo();
        Map<String, Cluster> byName;
        try {
            byName = decode(response, Cluster.parser(), Cluster::getName, "envoy.config.cluster.v3.Cluster");
        } catch (IllegalArgumentException e) {
            reject(client.clusters, version, e.getMessage(), List.of());
            return;
        }
        List<String> errors = new ArrayList<>();
        List<XdsWarning> warnings = new ArrayList<>();
        for (WatchedCluster w : resources.clusters()) {
            Cluster resource = byName.get(w.name);
            if (resource == null) {
                // CDS is state of the world: absence means removal (xds_protocol.rst, "Deleting Resources").
                resources.removed(w, warnings);
            } else if (!resources.unchanged(w, resource)) {
                try {
                    warnings.addAll(resources.apply(w, resource));
                } catch (RuntimeException e) {
                    errors.add(WatchedResources.clusterError(w.name, e));
                }
            }
        }
        if (errors.isEmpty()) {
            accept(client.clusters, version, warnings);
        } else {
            reject(client.clusters, version, String.join("; ", errors), warnings);
        }
        // Envoy and grpc-java both follow a CDS change with the EDS names it implies.
        resources.forgetUnsubscribed();
        List<String> names = resources.endpointNames();
        if (endpointNames == null ? !names.isEmpty() : !names.equals(endpointNames)) {
            // The new names answer the last EDS nonce; a NACK waiting out its delay goes with them.
            PendingNack pending = pendingNacks.get(client.endpoints.typeUrl);
            send(client.endpoints, pending == null ? null : pending.reason);
        }
    }

    private void onEndpoints(DiscoveryResponse response) {
        WatchedResources resources = client.resources;
        String version = response.getVersionInfo();
        Map<String, ClusterLoadAssignment> byName;
        try {
            byName = decode(response, ClusterLoadAssignment.parser(), ClusterLoadAssignment::getClusterName,
                    "envoy.config.endpoint.v3.ClusterLoadAssignment");
        } catch (IllegalArgumentException e) {
            reject(client.endpoints, version, e.getMessage(), List.of());
            return;
        }
        List<String> subscribed = resources.endpointNames();
        List<String> errors = new ArrayList<>();
        List<XdsWarning> warnings = new ArrayList<>();
        for (Map.Entry<String, ClusterLoadAssignment> e : byName.entrySet()) {
            String name = e.getKey();
            // "The client will silently ignore any supplied resources that were not explicitly requested."
            if (!subscribed.contains(name) || resources.unchanged(name, e.getValue())) {
                continue;
            }
            try {
                warnings.addAll(resources.apply(name, e.getValue()));
            } catch (RuntimeException ex) {
                errors.add(WatchedResources.assignmentError(name, ex));
            }
        }
        // Names the response left out keep their assignment: for EDS an absence deletes nothing
        // (xds_protocol.rst, "Grouping Resources into Responses" and "Deleting Resources").
        if (errors.isEmpty()) {
            accept(client.endpoints, version, warnings);
        } else {
            reject(client.endpoints, version, String.join("; ", errors), warnings);
        }
    }

    /**
     * The response's resources by name.
     *
     * @throws IllegalArgumentException when one cannot be decoded: a response is decoded whole
     *     before anything in it is applied, as Envoy's {@code GrpcMuxImpl::onDiscoveryResponse}
     *     decodes every resource before a subscription sees one; a CDS response with an unreadable
     *     resource cannot say which clusters it left out
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

    private void accept(TypeState type, String version, List<XdsWarning> warnings) {
        type.acceptedVersion = version;
        type.lastRejection = null;
        type.rejectionBackoff.reset();
        send(type, null);
        client.accepted(type.typeUrl, version, warnings);
    }

    private void reject(TypeState type, String version, String reason, List<XdsWarning> warnings) {
        client.rejected(type.typeUrl, version, reason, warnings);
        if (!version.equals(type.lastRejection)) {
            type.lastRejection = version;
            type.rejectionBackoff.reset();
            send(type, reason);
            return;
        }
        // A server that answers a NACK with the version just rejected (java-control-plane's and
        // go-control-plane's snapshot caches do) would otherwise loop as fast as the network allows;
        // Envoy leaves that to its optional rate_limit_settings. Meridian paces the repeats.
        Duration delay = type.rejectionBackoff.next();
        pendingNacks.put(type.typeUrl, new PendingNack(client.schedule(() -> {
            pendingNacks.remove(type.typeUrl);
            send(type, reason);
        }, delay), reason));
    }

    /** Sends the type's current subscription at its accepted version, with the last nonce; a NACK with an error. */
    private void send(TypeState type, String errorDetail) {
        PendingNack pending = pendingNacks.remove(type.typeUrl);
        if (pending != null) {
            pending.timer.cancel();
        }
        List<String> names = type == client.clusters
                ? client.resources.clusterNames()
                : client.resources.endpointNames();
        DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder()
                .setNode(client.node)
                .setTypeUrl(type.typeUrl)
                .setVersionInfo(type.acceptedVersion)
                .addAllResourceNames(names)
                .setResponseNonce(nonces.getOrDefault(type.typeUrl, ""));
        if (errorDetail != null) {
            request.setErrorDetail(com.google.rpc.Status.newBuilder()
                    .setCode(Status.Code.INVALID_ARGUMENT.value())
                    .setMessage(errorDetail));
        }
        if (type == client.endpoints) {
            endpointNames = names;
        }
        call.sendMessage(request.build());
    }
}
