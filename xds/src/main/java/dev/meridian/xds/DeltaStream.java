package dev.meridian.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Status;
import io.grpc.SynchronizationContext.ScheduledHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * An incremental {@code DeltaAggregatedResources} call (Envoy's {@code api/xds_protocol.rst},
 * "Incremental xDS"): the client subscribes and unsubscribes names, the server sends only what
 * changed and names what it removed, and each response is ACKed or NACKed by its {@code nonce}
 * alone. A new stream subscribes every name again with {@code initial_resource_versions}, the
 * versions the client holds, as Envoy's {@code DeltaSubscriptionState::getNextRequestAckless} does.
 *
 * <p>Not thread-safe: used only inside the client's synchronization context.
 */
final class DeltaStream extends AdsStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {

    /** The EDS names this stream is subscribed to. */
    private final Set<String> endpointNames = new TreeSet<>();
    /** NACKs waiting out their pacing delay, by type. */
    private final Map<String, ScheduledHandle> pendingNacks = new HashMap<>();

    DeltaStream(AdsClient client) {
        super(client, AggregatedDiscoveryServiceGrpc.getDeltaAggregatedResourcesMethod());
    }

    @Override
    void subscribe() {
        subscribeAll(client.clusters, client.resources.clusterNames());
        List<String> eds = client.resources.endpointNames();
        if (!eds.isEmpty()) {
            subscribeAll(client.endpoints, eds);
            endpointNames.addAll(eds);
        }
    }

    /** A new stream's first request for a type: every name, with the versions the client holds. */
    private void subscribeAll(TypeState type, List<String> names) {
        DeltaDiscoveryRequest.Builder request = request(type).addAllResourceNamesSubscribe(names);
        for (String name : names) {
            String version = type.resourceVersions.get(name);
            if (version != null) {
                request.putInitialResourceVersions(name, version);
            }
        }
        call.sendMessage(request.build());
    }

    @Override
    void handle(DeltaDiscoveryResponse response) {
        switch (response.getTypeUrl()) {
            case AdsClient.CLUSTER_TYPE_URL -> onClusters(response);
            case AdsClient.ENDPOINT_TYPE_URL -> onEndpoints(response);
            default -> client.ignoredType(response.getTypeUrl());
        }
    }

    private void onClusters(DeltaDiscoveryResponse response) {
        WatchedResources resources = client.resources;
        TypeState type = client.clusters;
        Map<String, Decoded<Cluster>> updated;
        try {
            updated = decode(response, type, Cluster.parser(), Cluster::getName, "envoy.config.cluster.v3.Cluster");
        } catch (IllegalArgumentException e) {
            answer(type, response, e.getMessage(), List.of());
            return;
        }
        List<String> errors = new ArrayList<>();
        List<XdsWarning> warnings = new ArrayList<>();
        for (Map.Entry<String, Decoded<Cluster>> e : updated.entrySet()) {
            WatchedCluster w = resources.cluster(e.getKey());
            Cluster resource = e.getValue().resource();
            if (w == null) {
                continue; // not asked for: ignored
            }
            if (resource == null) {
                // "When a resource subscribed to by a client does not exist, the server will send a
                // Resource whose name field matches ... and whose resource field is unset."
                resources.removed(w, warnings);
                type.resourceVersions.remove(w.name);
                continue;
            }
            try {
                if (!resources.unchanged(w, resource)) {
                    warnings.addAll(resources.apply(w, resource));
                }
                type.resourceVersions.put(w.name, e.getValue().version());
            } catch (RuntimeException ex) {
                errors.add(WatchedResources.clusterError(w.name, ex));
            }
        }
        for (String name : response.getRemovedResourcesList()) {
            WatchedCluster w = resources.cluster(name);
            if (w != null) {
                resources.removed(w, warnings);
                type.resourceVersions.remove(name);
            }
        }
        answer(type, response, errors.isEmpty() ? null : String.join("; ", errors), warnings);
        resources.forgetUnsubscribed();
        updateEndpointSubscription();
    }

    private void onEndpoints(DeltaDiscoveryResponse response) {
        WatchedResources resources = client.resources;
        TypeState type = client.endpoints;
        Map<String, Decoded<ClusterLoadAssignment>> updated;
        try {
            updated = decode(response, type, ClusterLoadAssignment.parser(), ClusterLoadAssignment::getClusterName,
                    "envoy.config.endpoint.v3.ClusterLoadAssignment");
        } catch (IllegalArgumentException e) {
            answer(type, response, e.getMessage(), List.of());
            return;
        }
        List<String> errors = new ArrayList<>();
        List<XdsWarning> warnings = new ArrayList<>();
        for (Map.Entry<String, Decoded<ClusterLoadAssignment>> e : updated.entrySet()) {
            String name = e.getKey();
            ClusterLoadAssignment resource = e.getValue().resource();
            if (!endpointNames.contains(name)) {
                continue;
            }
            if (resource == null) {
                resources.assignmentRemoved(name, warnings);
                type.resourceVersions.remove(name);
                continue;
            }
            try {
                if (!resources.unchanged(name, resource)) {
                    warnings.addAll(resources.apply(name, resource));
                }
                type.resourceVersions.put(name, e.getValue().version());
            } catch (RuntimeException ex) {
                errors.add(WatchedResources.assignmentError(name, ex));
            }
        }
        // Unlike state of the world, incremental xDS can remove an assignment; its clusters keep
        // their last good endpoints all the same.
        for (String name : response.getRemovedResourcesList()) {
            if (endpointNames.contains(name)) {
                resources.assignmentRemoved(name, warnings);
                type.resourceVersions.remove(name);
            }
        }
        answer(type, response, errors.isEmpty() ? null : String.join("; ", errors), warnings);
    }

    /** One resource of a response and its version; a null resource does not exist. */
    private record Decoded<T>(T resource, String version) {
    }

    /**
     * The response's resources by name, a null resource for a name whose resource is unset (it
     * does not exist); heartbeats left out.
     *
     * @throws IllegalArgumentException as Envoy's {@code DeltaSubscriptionState::handleGoodResponse}
     *     rejects the whole response: a name twice among added and removed resources, an
     *     {@code Any} of another type; and a resource that does not parse or names another resource
     */
    private static <T extends Message> Map<String, Decoded<T>> decode(DeltaDiscoveryResponse response, TypeState type,
                                                             Parser<T> parser, Function<T, String> nameOf,
                                                             String typeName) {
        String typeUrl = response.getTypeUrl();
        Set<String> names = new HashSet<>();
        Map<String, Decoded<T>> byName = new LinkedHashMap<>();
        for (int i = 0; i < response.getResourcesCount(); i++) {
            Resource resource = response.getResources(i);
            String name = resource.getName();
            if (!names.add(name)) {
                throw new IllegalArgumentException("resources[" + i + "].name: duplicate resource name '" + name + "'");
            }
            if (!resource.hasResource()) {
                // A heartbeat repeats the version the client holds (isHeartbeatResponse); anything
                // else without a resource says the resource does not exist.
                if (!resource.getVersion().equals(type.resourceVersions.get(name))) {
                    byName.put(name, new Decoded<>(null, resource.getVersion()));
                }
                continue;
            }
            if (!resource.getResource().getTypeUrl().equals(typeUrl)) {
                throw new IllegalArgumentException("resources[" + i + "].resource.type_url: expected " + typeUrl
                        + ", got '" + resource.getResource().getTypeUrl() + "'");
            }
            T decoded;
            try {
                decoded = parser.parseFrom(resource.getResource().getValue());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalArgumentException("resources[" + i + "].resource.value: not a valid " + typeName
                        + " (" + e.getMessage() + ")");
            }
            String inner = nameOf.apply(decoded);
            if (!inner.equals(name)) {
                throw new IllegalArgumentException("resources[" + i + "].resource: " + typeName + " named '" + inner
                        + "' under the resource name '" + name + "'");
            }
            byName.put(name, new Decoded<>(decoded, resource.getVersion()));
        }
        for (String name : response.getRemovedResourcesList()) {
            if (!names.add(name)) {
                throw new IllegalArgumentException("removed_resources: '" + name
                        + "' is also among the added or removed resources");
            }
        }
        return byName;
    }

    /** ACK (no error) or NACK: the response's nonce, and {@code error_detail} for a NACK. */
    private void answer(TypeState type, DeltaDiscoveryResponse response, String error, List<XdsWarning> warnings) {
        DeltaDiscoveryRequest.Builder request = request(type).setResponseNonce(response.getNonce());
        if (error == null) {
            type.lastRejection = null;
            type.rejectionBackoff.reset();
            send(type, request.build());
            client.accepted(type.typeUrl, response.getSystemVersionInfo(), warnings);
            return;
        }
        request.setErrorDetail(com.google.rpc.Status.newBuilder()
                .setCode(Status.Code.INVALID_ARGUMENT.value())
                .setMessage(error));
        client.rejected(type.typeUrl, response.getSystemVersionInfo(), error, warnings);
        if (!error.equals(type.lastRejection)) {
            type.lastRejection = error;
            type.rejectionBackoff.reset();
            send(type, request.build());
            return;
        }
        // The same rejection again: java-control-plane's incremental server resends resources still
        // pending after a NACK, so an unchanged bad resource would loop; paced as in state of the world.
        DeltaDiscoveryRequest nack = request.build();
        pendingNacks.put(type.typeUrl, client.schedule(() -> {
            pendingNacks.remove(type.typeUrl);
            send(type, nack);
        }, type.rejectionBackoff.next()));
    }

    private void send(TypeState type, DeltaDiscoveryRequest request) {
        ScheduledHandle pending = pendingNacks.remove(type.typeUrl);
        if (pending != null) {
            pending.cancel();
        }
        call.sendMessage(request);
    }

    @Override
    void ended() {
        for (ScheduledHandle nack : pendingNacks.values()) {
            nack.cancel();
        }
        pendingNacks.clear();
    }

    /**
     * After a CDS change, subscribes the EDS names now needed and unsubscribes the others, in a
     * request of its own (no nonce: "Spontaneous DeltaDiscoveryRequests from the client ...
     * response_nonce must be omitted").
     */
    private void updateEndpointSubscription() {
        Set<String> wanted = new TreeSet<>(client.resources.endpointNames());
        List<String> subscribe = new ArrayList<>();
        for (String name : wanted) {
            if (!endpointNames.contains(name)) {
                subscribe.add(name);
            }
        }
        List<String> unsubscribe = new ArrayList<>();
        for (String name : endpointNames) {
            if (!wanted.contains(name)) {
                unsubscribe.add(name);
            }
        }
        if (subscribe.isEmpty() && unsubscribe.isEmpty()) {
            return;
        }
        endpointNames.clear();
        endpointNames.addAll(wanted);
        client.endpoints.resourceVersions.keySet().retainAll(wanted);
        // Not through send(): a NACK waiting out its delay still answers its own nonce later.
        call.sendMessage(request(client.endpoints)
                .addAllResourceNamesSubscribe(subscribe)
                .addAllResourceNamesUnsubscribe(unsubscribe)
                .build());
    }

    private DeltaDiscoveryRequest.Builder request(TypeState type) {
        return DeltaDiscoveryRequest.newBuilder().setNode(client.node).setTypeUrl(type.typeUrl);
    }
}
