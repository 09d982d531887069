package dev.meridian.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw ADS stream as an Envoy opens one: requests CDS, then EDS for the clusters it got, and ACKs
 * each response with its version and nonce (Envoy's xDS protocol, "ACK/NACK and resource type
 * instance version" in api/envoy/service/discovery/v3/discovery.proto and the xDS protocol docs).
 * Test code: one thread drives it.
 */
final class AdsStream implements AutoCloseable {
    static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
    static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;

    final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    final CompletableFuture<Throwable> closed = new CompletableFuture<>();
    private final ClientCallStreamObserver<DiscoveryRequest> requests;

    private AdsStream(ManagedChannel channel, boolean readResponses) {
        CompletableFuture<ClientCallStreamObserver<DiscoveryRequest>> started = new CompletableFuture<>();
        AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(
                new ClientResponseObserver<DiscoveryRequest, DiscoveryResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> stream) {
                        if (!readResponses) {
                            // A slow peer: it never asks gRPC for a message.
                            stream.disableAutoRequestWithInitial(0);
                        }
                        started.complete(stream);
                    }

                    @Override
                    public void onNext(DiscoveryResponse r) {
                        responses.add(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                        closed.complete(t);
                    }

                    @Override
                    public void onCompleted() {
                        closed.complete(null);
                    }
                });
        this.requests = started.join();
    }

    static AdsStream open(ManagedChannel channel) {
        return new AdsStream(channel, true);
    }

    static AdsStream openSlow(ManagedChannel channel) {
        return new AdsStream(channel, false);
    }

    void request(Node node, String typeUrl, List<String> names, String version, String nonce) {
        DiscoveryRequest.Builder r = DiscoveryRequest.newBuilder().setTypeUrl(typeUrl).addAllResourceNames(names)
                .setVersionInfo(version).setResponseNonce(nonce);
        if (node != null) {
            r.setNode(node);
        }
        requests.onNext(r.build());
    }

    DiscoveryResponse next() throws InterruptedException {
        DiscoveryResponse r = responses.poll(30, TimeUnit.SECONDS);
        assertThat(r).as("a response within 30 s").isNotNull();
        return r;
    }

    /** ACKs a response: the same type and names, its version and nonce. */
    void ack(DiscoveryResponse r, List<String> names) {
        request(null, r.getTypeUrl(), names, r.getVersionInfo(), r.getNonce());
    }

    /** Subscribes as Envoy does on connecting: CDS, then EDS for every cluster. */
    Subscribed subscribe(Node node) throws Exception {
        request(node, CDS, List.of(), "", "");
        DiscoveryResponse cds = next();
        assertThat(cds.getTypeUrl()).isEqualTo(CDS);
        List<Cluster> clusters = clusters(cds);
        List<String> names = new ArrayList<>();
        for (Cluster c : clusters) {
            names.add(c.getName());
        }
        ack(cds, List.of());
        // Istio's bootstrap sends the node on the first message only.
        request(null, EDS, names, "", "");
        DiscoveryResponse eds = next();
        assertThat(eds.getTypeUrl()).isEqualTo(EDS);
        ack(eds, names);
        return new Subscribed(cds, eds, clusters, assignments(eds), names);
    }

    record Subscribed(DiscoveryResponse cds, DiscoveryResponse eds, List<Cluster> clusters,
                      List<ClusterLoadAssignment> assignments, List<String> names) {
        ClusterLoadAssignment assignment(String name) {
            return assignments.stream().filter(a -> a.getClusterName().equals(name)).findFirst().orElseThrow();
        }

        Cluster cluster(String name) {
            return clusters.stream().filter(a -> a.getName().equals(name)).findFirst().orElseThrow();
        }
    }

    static List<Cluster> clusters(DiscoveryResponse r) throws Exception {
        List<Cluster> out = new ArrayList<>();
        for (var any : r.getResourcesList()) {
            out.add(any.unpack(Cluster.class));
        }
        return out;
    }

    static List<ClusterLoadAssignment> assignments(DiscoveryResponse r) throws Exception {
        List<ClusterLoadAssignment> out = new ArrayList<>();
        for (var any : r.getResourcesList()) {
            out.add(any.unpack(ClusterLoadAssignment.class));
        }
        return out;
    }

    /** Cancels the stream, as a sidecar that dies does. */
    void cancel() {
        requests.cancel("sidecar gone", null);
    }

    @Override
    public void close() {
        requests.onCompleted();
    }
}
