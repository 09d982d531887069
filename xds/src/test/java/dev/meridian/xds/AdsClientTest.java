package dev.meridian.xds;

import static dev.meridian.xds.AdsClient.CLUSTER_TYPE_URL;
import static dev.meridian.xds.AdsClient.ENDPOINT_TYPE_URL;
import static dev.meridian.xds.EnvoyResources.assignment;
import static dev.meridian.xds.EnvoyResources.edsCluster;
import static dev.meridian.xds.EnvoyResources.locality;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.meridian.cluster.Cluster;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.lb.LbConfig;
import dev.meridian.xds.RecordingListener.Accepted;
import dev.meridian.xds.RecordingListener.Connecting;
import dev.meridian.xds.RecordingListener.Disconnected;
import dev.meridian.xds.RecordingListener.Event;
import dev.meridian.xds.RecordingListener.Rejected;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The ADS client end to end over real gRPC on loopback: java-control-plane's server (the cache
 * istiod-like control planes are built on) for the protocol's normal course, a scripted server for
 * what no well-behaved control plane sends. The protocol cited is Envoy's
 * {@code api/xds_protocol.rst} (envoyproxy/envoy).
 */
class AdsClientTest extends AdsClientFixture {

    AdsClientTest() {
        super(false);
    }

    private static boolean isAck(DiscoveryRequest r, String typeUrl, String version) {
        return r.getTypeUrl().equals(typeUrl) && r.getVersionInfo().equals(version) && !r.hasErrorDetail()
                && !r.getResponseNonce().isEmpty();
    }

    @Test
    @DisplayName("removing the local zone's endpoints moves every pick to priority 1 in one update, one snapshot")
    void localZoneRemovedFailsOverInOneUpdate() throws Exception {
        LoopbackControlPlane cp = closing(LoopbackControlPlane.start());
        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c1", List.of(twoZones(REVIEWS)), "e1");
        Cluster reviews = destination();
        AdsClient client = closing(client(channel(cp.port())).watch(REVIEWS, reviews).build());
        client.start();

        events.awaitAccepted(CLUSTER_TYPE_URL, "c1");
        events.awaitAccepted(ENDPOINT_TYPE_URL, "e1");
        assertThat(reviews.drain()).isPositive();
        // load_balancer_impl.cc, recalculatePerPriorityState: a fully healthy priority 0 takes 100 %.
        Picks before = pick(reviews, N);
        assertThat(before.byPriority()).containsExactly(Map.entry(0, N));
        assertThat(before.byAddress()).containsExactly(Map.entry("10.0.0.1:9080", 500), Map.entry("10.0.0.2:9080", 500));
        assertThat(before.byZone()).containsExactly(Map.entry("us-east-1a", N));
        cp.awaitRequest(r -> isAck(r, ENDPOINT_TYPE_URL, "e1"));

        long publications = reviews.publications();
        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c1",
                List.of(assignment(REVIEWS, locality("us-east", "us-east-1b", 1, "10.0.1.1:9080", "10.0.1.2:9080"))),
                "e2");
        events.awaitAccepted(ENDPOINT_TYPE_URL, "e2");
        assertThat(reviews.drain()).isPositive();
        assertThat(reviews.publications()).as("one snapshot for the update").isEqualTo(publications + 1);
        // Priority 0 has no host: its health is 0 and priority 1 takes all the load
        // (recalculatePerPriorityState, as above).
        Picks after = pick(reviews, N);
        assertThat(after.byPriority()).containsExactly(Map.entry(1, N));
        assertThat(after.byAddress()).containsExactly(Map.entry("10.0.1.1:9080", 500), Map.entry("10.0.1.2:9080", 500));
        assertThat(after.byZone()).containsExactly(Map.entry("us-east-1b", N));
        // ACK: version_info and nonce of the response (xds_protocol.rst, "ACK").
        cp.awaitRequest(r -> isAck(r, ENDPOINT_TYPE_URL, "e2"));
        assertThat(cp.streamsOpened()).isEqualTo(1);
    }

    @Test
    @DisplayName("the node names the caller: id, cluster, locality and user agent meridian; CDS asks by name")
    void firstRequestCarriesTheNode() throws Exception {
        LoopbackControlPlane cp = closing(LoopbackControlPlane.start());
        closing(client(channel(cp.port())).watch(REVIEWS, destination()).build()).start();
        DiscoveryRequest first = cp.awaitRequest(r -> true);
        assertThat(first.getTypeUrl()).isEqualTo(CLUSTER_TYPE_URL);
        assertThat(first.getResourceNamesList()).containsExactly(REVIEWS);
        assertThat(first.getVersionInfo()).isEmpty();
        assertThat(first.getResponseNonce()).isEmpty();
        assertThat(first.getNode().getId()).isEqualTo("sidecar~10.0.0.9~productpage-v1.default~default.svc.cluster.local");
        assertThat(first.getNode().getCluster()).isEqualTo("productpage.default");
        assertThat(first.getNode().getUserAgentName()).isEqualTo("meridian");
        assertThat(first.getNode().getLocality().getRegion()).isEqualTo("us-east");
        assertThat(first.getNode().getLocality().getZone()).isEqualTo("us-east-1a");
    }

    @Test
    @DisplayName("a NACKed update keeps every pick; the server receives the previous version, the nonce and the field")
    void nackKeepsTheLastGoodConfig() throws Exception {
        LoopbackControlPlane cp = closing(LoopbackControlPlane.start());
        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c1", List.of(twoZones(REVIEWS)), "e1");
        Cluster reviews = destination();
        closing(client(channel(cp.port())).watch(REVIEWS, reviews).build()).start();
        events.awaitAccepted(ENDPOINT_TYPE_URL, "e1");
        reviews.drain();
        Picks before = pick(reviews, N);
        long publications = reviews.publications();

        var bad = clusterProvided(REVIEWS);
        cp.publish(List.of(bad), "c2", List.of(twoZones(REVIEWS)), "e1");
        Rejected rejected = events.awaitRejected(CLUSTER_TYPE_URL, "c2");
        assertThat(rejected.reason()).contains("lb_policy").contains(REVIEWS);
        // NACK: the previous version, the response's nonce, error_detail (xds_protocol.rst, "NACK").
        DiscoveryRequest nack = cp.awaitRequest(r -> r.getTypeUrl().equals(CLUSTER_TYPE_URL) && r.hasErrorDetail());
        assertThat(nack.getVersionInfo()).isEqualTo("c1");
        assertThat(nack.getResponseNonce()).isNotEmpty();
        assertThat(nack.getErrorDetail().getMessage()).contains("lb_policy");
        assertThat(nack.getErrorDetail().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(reviews.drain()).isZero();
        assertThat(reviews.publications()).isEqualTo(publications);
        assertThat(pick(reviews, N)).isEqualTo(before);

        // An endpoint on port 0 is invalid: the EDS update is NACKed and the endpoints stay.
        ClusterLoadAssignment portZero = assignment(REVIEWS,
                locality("us-east", "us-east-1a", 0, "10.0.0.1:0"),
                locality("us-east", "us-east-1b", 1, "10.0.1.1:9080"));
        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c3", List.of(portZero), "e2");
        events.awaitAccepted(CLUSTER_TYPE_URL, "c3");
        Rejected eds = events.awaitRejected(ENDPOINT_TYPE_URL, "e2");
        assertThat(eds.reason()).contains("port");
        DiscoveryRequest edsNack = cp.awaitRequest(r -> r.getTypeUrl().equals(ENDPOINT_TYPE_URL) && r.hasErrorDetail());
        assertThat(edsNack.getVersionInfo()).isEqualTo("e1");
        assertThat(edsNack.getErrorDetail().getMessage()).contains("port");
        reviews.drain();
        assertThat(pick(reviews, N)).isEqualTo(before);

        // The control plane fixes it: the next version is accepted and applied.
        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c3",
                List.of(assignment(REVIEWS, locality("us-east", "us-east-1b", 1, "10.0.1.1:9080"))), "e3");
        events.awaitAccepted(ENDPOINT_TYPE_URL, "e3");
        reviews.drain();
        assertThat(pick(reviews, N).byAddress()).containsExactly(Map.entry("10.0.1.1:9080", N));
    }

    @Test
    @DisplayName("a control-plane restart is survived: picks go on, the client resubscribes at its versions and takes the next update")
    void controlPlaneRestart() throws Exception {
        LoopbackControlPlane cp = closing(LoopbackControlPlane.start());
        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c1", List.of(twoZones(REVIEWS)), "e1");
        Cluster reviews = destination();
        ManagedChannel channel = channel(cp.port());
        closing(client(channel).watch(REVIEWS, reviews).build()).start();
        events.awaitAccepted(ENDPOINT_TYPE_URL, "e1");
        reviews.drain();
        Picks before = pick(reviews, N);

        cp.stop();
        Disconnected down = events.await(Disconnected.class, d -> true);
        assertThat(down.status().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.CANCELLED, Status.Code.INTERNAL);
        // Nothing is cleared while the control plane is away.
        assertThat(reviews.drain()).isZero();
        assertThat(pick(reviews, N)).isEqualTo(before);

        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c1", List.of(assignment(REVIEWS,
                locality("us-east", "us-east-1a", 0, "10.0.0.1:9080", "10.0.0.2:9080", "10.0.0.3:9080"))), "e2");
        cp.restart();
        channel.resetConnectBackoff();
        // "If the stream becomes broken and the client creates a new stream, the client's initial
        // request on the new stream should indicate the most recent version seen by the client on
        // the previous stream." (xds_protocol.rst, "ACK/NACK and resource type instance version")
        DiscoveryRequest cds = cp.awaitRequest(r -> r.getTypeUrl().equals(CLUSTER_TYPE_URL)
                && r.getResponseNonce().isEmpty() && r.getVersionInfo().equals("c1"));
        assertThat(cds.getResourceNamesList()).containsExactly(REVIEWS);
        DiscoveryRequest eds = cp.awaitRequest(r -> r.getTypeUrl().equals(ENDPOINT_TYPE_URL)
                && r.getResponseNonce().isEmpty());
        assertThat(eds.getVersionInfo()).isEqualTo("e1");
        assertThat(eds.getResourceNamesList()).containsExactly(REVIEWS);

        events.awaitAccepted(ENDPOINT_TYPE_URL, "e2");
        reviews.drain();
        Picks after = pick(reviews, 999);
        assertThat(after.byAddress()).containsExactly(Map.entry("10.0.0.1:9080", 333), Map.entry("10.0.0.2:9080", 333),
                Map.entry("10.0.0.3:9080", 333));
        assertThat(cp.streamsOpened()).isGreaterThanOrEqualTo(2);
    }

    @Test
    @DisplayName("a dead control plane from the start: no crash, each failure heard, retries on Envoy's jittered doubling backoff")
    void deadControlPlaneRetriesWithBackoff() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }
        ManualScheduler scheduler = new ManualScheduler();
        Cluster reviews = destination();
        AdsClient client = closing(client(channel(deadPort)).watch(REVIEWS, reviews)
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
                .scheduler(scheduler)
                .build());
        client.start();

        // backoff_strategy.cc, JitteredExponentialBackOffStrategy::nextBackOffMs: a delay uniform in
        // [0, interval), the interval doubling from the base up to the maximum.
        long[] intervalsMillis = {100, 200, 400, 800, 1000, 1000};
        for (int attempt = 1; attempt <= intervalsMillis.length; attempt++) {
            assertThat(events.next()).isEqualTo(new Connecting(attempt));
            Event failure = events.next();
            assertThat(failure).isInstanceOf(Disconnected.class);
            Disconnected d = (Disconnected) failure;
            assertThat(d.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(d.retryIn()).isBetween(Duration.ZERO, Duration.ofMillis(intervalsMillis[attempt - 1]).minusNanos(1));
            ManualScheduler.Task retry = scheduler.next();
            assertThat(retry.delay).isEqualTo(d.retryIn());
            retry.run();
        }
        assertThat(events.next()).isEqualTo(new Connecting(intervalsMillis.length + 1));
        assertThat(reviews.drain()).isZero();
        assertThat(reviews.pick()).isNull();
    }

    @Test
    @DisplayName("a slow peer that takes the stream and never answers: nothing applied, the cluster keeps its initial state")
    void slowPeerAppliesNothing() throws Exception {
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        Cluster reviews = Cluster.builder(LbConfig.defaults())
                .endpoints(EndpointTable.of(List.of(Endpoint.of("10.9.9.9:9080", CALLER))))
                .build();
        long publications = reviews.publications();
        AdsClient client = closing(client(channel(server.port())).watch(REVIEWS, reviews).build());
        client.start();

        DiscoveryRequest subscribe = server.nextRequest();
        assertThat(subscribe.getTypeUrl()).isEqualTo(CLUSTER_TYPE_URL);
        assertThat(events.next()).isEqualTo(new Connecting(1));
        client.close();

        assertThat(events.pending()).isEmpty();
        assertThat(reviews.drain()).isZero();
        assertThat(reviews.publications()).isEqualTo(publications);
        assertThat(reviews.pick().address()).isEqualTo("10.9.9.9:9080");
    }

    @Test
    @DisplayName("a malformed response (unreadable bytes, a wrong type URL) is NACKed with the reason; the last good config stays")
    void malformedResponseIsNacked() throws Exception {
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        Cluster reviews = destination();
        closing(client(channel(server.port())).watch(REVIEWS, reviews).build()).start();
        DiscoveryRequest subscribe = server.nextRequest();
        assertThat(subscribe.getResourceNamesList()).containsExactly(REVIEWS);
        server.respond(CLUSTER_TYPE_URL, "1", "n1", List.of(Any.pack(edsCluster(REVIEWS, REVIEWS))));
        assertThat(server.nextRequest()).satisfies(r -> assertThat(isAck(r, CLUSTER_TYPE_URL, "1")).isTrue());
        DiscoveryRequest edsSubscribe = server.nextRequest();
        assertThat(edsSubscribe.getTypeUrl()).isEqualTo(ENDPOINT_TYPE_URL);
        assertThat(edsSubscribe.getResourceNamesList()).containsExactly(REVIEWS);
        server.respond(ENDPOINT_TYPE_URL, "1", "n2", List.of(Any.pack(twoZones(REVIEWS))));
        assertThat(server.nextRequest()).satisfies(r -> assertThat(isAck(r, ENDPOINT_TYPE_URL, "1")).isTrue());
        events.awaitAccepted(ENDPOINT_TYPE_URL, "1");
        reviews.drain();
        Picks before = pick(reviews, N);
        long publications = reviews.publications();

        // A field 1 (name) that announces 5 bytes and carries 1: not a Cluster.
        Any unreadable = Any.newBuilder().setTypeUrl(CLUSTER_TYPE_URL)
                .setValue(ByteString.copyFrom(new byte[] {0x0A, 0x05, 'r'})).build();
        server.respond(CLUSTER_TYPE_URL, "2", "n3", List.of(unreadable));
        DiscoveryRequest nack = server.nextRequest();
        assertThat(nack.getTypeUrl()).isEqualTo(CLUSTER_TYPE_URL);
        assertThat(nack.getVersionInfo()).isEqualTo("1");
        assertThat(nack.getResponseNonce()).isEqualTo("n3");
        assertThat(nack.getErrorDetail().getMessage()).startsWith("resources[0].value: not a valid envoy.config.cluster.v3.Cluster");
        assertThat(events.awaitRejected(CLUSTER_TYPE_URL, "2").reason()).isEqualTo(nack.getErrorDetail().getMessage());

        // A ClusterLoadAssignment where a Cluster belongs.
        server.respond(CLUSTER_TYPE_URL, "3", "n4", List.of(Any.pack(twoZones(REVIEWS))));
        DiscoveryRequest wrongType = server.nextRequest();
        assertThat(wrongType.getVersionInfo()).isEqualTo("1");
        assertThat(wrongType.getResponseNonce()).isEqualTo("n4");
        assertThat(wrongType.getErrorDetail().getMessage()).isEqualTo("resources[0].type_url: expected "
                + CLUSTER_TYPE_URL + ", got '" + ENDPOINT_TYPE_URL + "'");

        // The same for EDS.
        server.respond(ENDPOINT_TYPE_URL, "2", "n5", List.of(Any.newBuilder().setTypeUrl(ENDPOINT_TYPE_URL)
                .setValue(ByteString.copyFrom(new byte[] {0x0A, 0x7F})).build()));
        DiscoveryRequest edsNack = server.nextRequest();
        assertThat(edsNack.getVersionInfo()).isEqualTo("1");
        assertThat(edsNack.getErrorDetail().getMessage()).startsWith("resources[0].value: not a valid");

        assertThat(reviews.drain()).isZero();
        assertThat(reviews.publications()).isEqualTo(publications);
        assertThat(pick(reviews, N)).isEqualTo(before);
    }

    @Test
    @DisplayName("a failure while answering a response restarts the stream at the accepted versions instead of leaving the control plane waiting for an ACK")
    void failureWhileAnsweringRestartsTheStream() throws Exception {
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        AtomicBoolean failed = new AtomicBoolean();
        // The first EDS ACK fails as it is sent: something Meridian does not foresee, after the
        // assignment was applied.
        ClientInterceptor failFirstEdsAck = new ClientInterceptor() {
            @Override
            public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
                                                                       CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void sendMessage(ReqT message) {
                        if (message instanceof DiscoveryRequest r && r.getTypeUrl().equals(ENDPOINT_TYPE_URL)
                                && !r.getResponseNonce().isEmpty() && failed.compareAndSet(false, true)) {
                            throw new IllegalStateException("the ACK could not be sent");
                        }
                        super.sendMessage(message);
                    }
                };
            }
        };
        Cluster reviews = destination();
        Channel channel = ClientInterceptors.intercept(channel(server.port()), failFirstEdsAck);
        closing(client(channel).watch(REVIEWS, reviews).build()).start();
        server.nextRequest();
        server.respond(CLUSTER_TYPE_URL, "1", "n1", List.of(Any.pack(edsCluster(REVIEWS, REVIEWS))));
        assertThat(server.nextRequest()).satisfies(r -> assertThat(isAck(r, CLUSTER_TYPE_URL, "1")).isTrue());
        assertThat(server.nextRequest().getTypeUrl()).isEqualTo(ENDPOINT_TYPE_URL);
        server.respond(ENDPOINT_TYPE_URL, "1", "n2", List.of(Any.pack(twoZones(REVIEWS))));

        Disconnected down = events.await(Disconnected.class, d -> true);
        assertThat(down.status().getCode()).isEqualTo(Status.Code.CANCELLED);
        assertThat(failed).isTrue();
        // A new stream asks again at the versions applied ("ACK/NACK and resource type instance version").
        DiscoveryRequest cds = server.nextRequest();
        assertThat(cds.getTypeUrl()).isEqualTo(CLUSTER_TYPE_URL);
        assertThat(cds.getResponseNonce()).isEmpty();
        assertThat(cds.getVersionInfo()).isEqualTo("1");
        DiscoveryRequest eds = server.nextRequest();
        assertThat(eds.getTypeUrl()).isEqualTo(ENDPOINT_TYPE_URL);
        assertThat(eds.getResponseNonce()).isEmpty();
        assertThat(eds.getVersionInfo()).isEqualTo("1");
        // The assignment applied before the failure serves.
        reviews.drain();
        assertThat(pick(reviews, N).byPriority()).containsExactly(Map.entry(0, N));

        // The new stream works: the next version is applied and ACKed.
        server.respond(ENDPOINT_TYPE_URL, "2", "n3", List.of(Any.pack(assignment(REVIEWS,
                locality("us-east", "us-east-1b", 1, "10.0.1.1:9080")))));
        events.awaitAccepted(ENDPOINT_TYPE_URL, "2");
        assertThat(server.nextRequest()).satisfies(r -> assertThat(isAck(r, ENDPOINT_TYPE_URL, "2")).isTrue());
        reviews.drain();
        assertThat(pick(reviews, N).byAddress()).containsExactly(Map.entry("10.0.1.1:9080", N));
    }

    @Test
    @DisplayName("a CDS response that leaves a watched cluster out: it keeps its endpoints, a warning says so, its EDS watch ends")
    void clusterLeftOutKeepsItsLastGoodState() throws Exception {
        String ratings = "outbound|9080||ratings.default.svc.cluster.local";
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        Cluster reviews = destination();
        Cluster ratingsCluster = destination();
        closing(client(channel(server.port())).watch(REVIEWS, reviews).watch(ratings, ratingsCluster).build()).start();
        assertThat(server.nextRequest().getResourceNamesList()).containsExactly(REVIEWS, ratings);
        server.respond(CLUSTER_TYPE_URL, "1", "n1",
                List.of(Any.pack(edsCluster(REVIEWS, REVIEWS)), Any.pack(edsCluster(ratings, ratings))));
        server.nextRequest(); // ACK
        assertThat(server.nextRequest().getResourceNamesList()).containsExactly(ratings, REVIEWS);
        ClusterLoadAssignment ratingsEndpoints = assignment(ratings,
                locality("us-east", "us-east-1a", 0, "10.0.2.1:9080"));
        server.respond(ENDPOINT_TYPE_URL, "1", "n2", List.of(Any.pack(twoZones(REVIEWS)), Any.pack(ratingsEndpoints)));
        server.nextRequest(); // ACK
        events.awaitAccepted(ENDPOINT_TYPE_URL, "1");
        reviews.drain();
        ratingsCluster.drain();
        Picks ratingsBefore = pick(ratingsCluster, N);

        // State of the world: ratings is no longer in CDS (xds_protocol.rst, "Deleting Resources").
        server.respond(CLUSTER_TYPE_URL, "2", "n3", List.of(Any.pack(edsCluster(REVIEWS, REVIEWS))));
        Accepted accepted = events.awaitAccepted(CLUSTER_TYPE_URL, "2");
        assertThat(accepted.warnings()).singleElement().satisfies(w -> {
            assertThat(w.field()).isEqualTo("cluster");
            assertThat(w.message()).contains(ratings).contains("last good");
        });
        assertThat(server.nextRequest()).satisfies(r -> assertThat(isAck(r, CLUSTER_TYPE_URL, "2")).isTrue());
        DiscoveryRequest narrowed = server.nextRequest();
        assertThat(narrowed.getTypeUrl()).isEqualTo(ENDPOINT_TYPE_URL);
        assertThat(narrowed.getResourceNamesList()).containsExactly(REVIEWS);
        assertThat(ratingsCluster.drain()).isZero();
        assertThat(pick(ratingsCluster, N)).isEqualTo(ratingsBefore);

        // An EDS response that leaves reviews out changes nothing for it ("Grouping Resources into Responses").
        server.respond(ENDPOINT_TYPE_URL, "2", "n4", List.of());
        events.awaitAccepted(ENDPOINT_TYPE_URL, "2");
        assertThat(server.nextRequest()).satisfies(r -> assertThat(isAck(r, ENDPOINT_TYPE_URL, "2")).isTrue());
        assertThat(reviews.drain()).isZero();
        assertThat(pick(reviews, N).byPriority()).containsExactly(Map.entry(0, N));

        // ratings returns: it is watched again and its next assignment applies.
        server.respond(CLUSTER_TYPE_URL, "3", "n5",
                List.of(Any.pack(edsCluster(REVIEWS, REVIEWS)), Any.pack(edsCluster(ratings, ratings))));
        events.awaitAccepted(CLUSTER_TYPE_URL, "3");
        assertThat(server.nextRequest()).satisfies(r -> assertThat(isAck(r, CLUSTER_TYPE_URL, "3")).isTrue());
        assertThat(server.nextRequest().getResourceNamesList()).containsExactly(ratings, REVIEWS);
        server.respond(ENDPOINT_TYPE_URL, "3", "n6", List.of(Any.pack(assignment(ratings,
                locality("us-east", "us-east-1a", 0, "10.0.2.2:9080")))));
        events.awaitAccepted(ENDPOINT_TYPE_URL, "3");
        ratingsCluster.drain();
        assertThat(pick(ratingsCluster, N).byAddress()).containsExactly(Map.entry("10.0.2.2:9080", N));
    }

    @Test
    @DisplayName("one bad cluster in a response does not hold back the others: they apply, the response is NACKed")
    void badResourceDoesNotBlockTheOthers() throws Exception {
        String ratings = "outbound|9080||ratings.default.svc.cluster.local";
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        Cluster reviews = destination();
        Cluster ratingsCluster = destination();
        closing(client(channel(server.port())).watch(REVIEWS, reviews).watch(ratings, ratingsCluster).build()).start();
        server.nextRequest();
        var ratingsBad = clusterProvided(ratings);
        server.respond(CLUSTER_TYPE_URL, "1", "n1", List.of(Any.pack(edsCluster(REVIEWS, REVIEWS)), Any.pack(ratingsBad)));
        // CdsApiHelper::onConfigUpdate (source/common/upstream/cds_api_helper.cc) applies each valid
        // cluster and reports the invalid ones; the response is NACKed.
        Rejected rejected = events.awaitRejected(CLUSTER_TYPE_URL, "1");
        assertThat(rejected.reason()).startsWith("cluster '" + ratings + "': ").contains("lb_policy");
        DiscoveryRequest nack = server.nextRequest();
        assertThat(nack.getVersionInfo()).isEmpty();
        assertThat(nack.getErrorDetail().getMessage()).isEqualTo(rejected.reason());
        assertThat(server.nextRequest().getResourceNamesList()).containsExactly(REVIEWS);
        server.respond(ENDPOINT_TYPE_URL, "1", "n2", List.of(Any.pack(twoZones(REVIEWS))));
        events.awaitAccepted(ENDPOINT_TYPE_URL, "1");
        reviews.drain();
        assertThat(pick(reviews, N).byPriority()).containsExactly(Map.entry(0, N));
        assertThat(ratingsCluster.drain()).isZero();
        assertThat(ratingsCluster.pick()).isNull();
    }

    @Test
    @DisplayName("a version rejected again is NACKed after a backoff, not at once: no NACK storm against a resending server")
    void repeatedRejectionIsPaced() throws Exception {
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        ManualScheduler scheduler = new ManualScheduler();
        closing(client(channel(server.port())).watch(REVIEWS, destination()).scheduler(scheduler)
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build()).start();
        server.nextRequest();
        Any unreadable = Any.newBuilder().setTypeUrl(CLUSTER_TYPE_URL).setValue(ByteString.copyFrom(new byte[] {0x0A, 0x05}))
                .build();
        server.respond(CLUSTER_TYPE_URL, "7", "n1", List.of(unreadable));
        assertThat(server.nextRequest().getResponseNonce()).isEqualTo("n1");
        server.respond(CLUSTER_TYPE_URL, "7", "n2", List.of(unreadable));
        events.awaitRejected(CLUSTER_TYPE_URL, "7");
        events.awaitRejected(CLUSTER_TYPE_URL, "7");
        ManualScheduler.Task paced = scheduler.next();
        assertThat(paced.delay).isLessThan(Duration.ofMillis(100));
        assertThat(server.pendingRequests()).isEmpty();
        paced.run();
        DiscoveryRequest nack = server.nextRequest();
        assertThat(nack.getResponseNonce()).isEqualTo("n2");
        assertThat(nack.hasErrorDetail()).isTrue();
    }

    @Test
    @DisplayName("a STATIC or DNS cluster runs on its inline load_assignment; ORIGINAL_DST is NACKed naming cluster.type")
    void inlineEndpointsAndUnsupportedType() throws Exception {
        String local = "inbound|9080||";
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        Cluster inbound = destination();
        closing(client(channel(server.port())).watch(local, inbound).build()).start();
        server.nextRequest();
        var staticCluster = io.envoyproxy.envoy.config.cluster.v3.Cluster.newBuilder()
                .setName(local)
                .setType(io.envoyproxy.envoy.config.cluster.v3.Cluster.DiscoveryType.STATIC)
                .setLoadAssignment(assignment(local, locality("us-east", "us-east-1a", 0, "127.0.0.1:9080")))
                .build();
        server.respond(CLUSTER_TYPE_URL, "1", "n1", List.of(Any.pack(staticCluster)));
        assertThat(events.awaitAccepted(CLUSTER_TYPE_URL, "1").warnings()).isEmpty();
        assertThat(server.nextRequest()).satisfies(r -> assertThat(isAck(r, CLUSTER_TYPE_URL, "1")).isTrue());
        assertThat(server.pendingRequests()).as("no EDS subscription for a STATIC cluster").isEmpty();
        inbound.drain();
        assertThat(pick(inbound, N).byAddress()).containsExactly(Map.entry("127.0.0.1:9080", N));

        // STRICT_DNS: the names are used as given, never resolved, and the translation says so.
        var dns = staticCluster.toBuilder()
                .setType(io.envoyproxy.envoy.config.cluster.v3.Cluster.DiscoveryType.STRICT_DNS)
                .setLoadAssignment(assignment("", locality("us-east", "us-east-1a", 0, "localhost:9080")))
                .build();
        server.respond(CLUSTER_TYPE_URL, "2", "n2", List.of(Any.pack(dns)));
        assertThat(events.awaitAccepted(CLUSTER_TYPE_URL, "2").warnings())
                .extracting(XdsWarning::field).containsExactly("cluster.type");
        inbound.drain();
        assertThat(pick(inbound, N).byAddress()).containsExactly(Map.entry("localhost:9080", N));

        var originalDst = staticCluster.toBuilder()
                .setType(io.envoyproxy.envoy.config.cluster.v3.Cluster.DiscoveryType.ORIGINAL_DST).build();
        server.respond(CLUSTER_TYPE_URL, "3", "n3", List.of(Any.pack(originalDst)));
        assertThat(events.awaitRejected(CLUSTER_TYPE_URL, "3").reason())
                .startsWith("cluster '" + local + "': cluster.type: ORIGINAL_DST");
        assertThat(inbound.drain()).isZero();
        assertThat(pick(inbound, N).byAddress()).containsExactly(Map.entry("localhost:9080", N));
    }

    @Test
    @DisplayName("a full node keeps its metadata (istiod reads it) and gets the user agent meridian")
    void fullNodeKeepsItsMetadata() throws Exception {
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        var node = io.envoyproxy.envoy.config.core.v3.Node.newBuilder()
                .setId("sidecar~10.0.0.9~productpage-v1.default~default.svc.cluster.local")
                .setMetadata(com.google.protobuf.Struct.newBuilder().putFields("ISTIO_VERSION",
                        com.google.protobuf.Value.newBuilder().setStringValue("1.24.0").build()))
                .build();
        closing(client(channel(server.port())).node(node).watch(REVIEWS, destination()).build()).start();
        DiscoveryRequest first = server.nextRequest();
        assertThat(first.getNode().getMetadata().getFieldsOrThrow("ISTIO_VERSION").getStringValue()).isEqualTo("1.24.0");
        assertThat(first.getNode().getUserAgentName()).isEqualTo("meridian");
        assertThat(first.getNode().getId()).isEqualTo(node.getId());
    }

    @Test
    @DisplayName("CDS settings and the assignment's policy reach the Cluster; a new EDS service name is followed, old endpoints serving meanwhile")
    void settingsReachTheClusterAndServiceNameChangesAreFollowed() throws Exception {
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        Cluster reviews = destination();
        closing(client(channel(server.port())).watch(REVIEWS, reviews).build()).start();
        server.nextRequest();
        var tuned = edsCluster(REVIEWS, REVIEWS).toBuilder()
                .setLbPolicy(io.envoyproxy.envoy.config.cluster.v3.Cluster.LbPolicy.LEAST_REQUEST)
                .setCommonLbConfig(io.envoyproxy.envoy.config.cluster.v3.Cluster.CommonLbConfig.newBuilder()
                        .setHealthyPanicThreshold(io.envoyproxy.envoy.type.v3.Percent.newBuilder().setValue(0)))
                .setOutlierDetection(io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.newBuilder()
                        .setConsecutive5Xx(com.google.protobuf.UInt32Value.of(3)))
                .build();
        server.respond(CLUSTER_TYPE_URL, "1", "n1", List.of(Any.pack(tuned)));
        server.nextRequest(); // ACK
        server.nextRequest(); // EDS subscription
        ClusterLoadAssignment overprovisioned = twoZones(REVIEWS).toBuilder()
                .setPolicy(ClusterLoadAssignment.Policy.newBuilder()
                        .setOverprovisioningFactor(com.google.protobuf.UInt32Value.of(200)))
                .build();
        server.respond(ENDPOINT_TYPE_URL, "1", "n2", List.of(Any.pack(overprovisioned)));
        events.awaitAccepted(ENDPOINT_TYPE_URL, "1");
        server.nextRequest(); // ACK
        reviews.drain();
        assertThat(reviews.plan().policy()).isEqualTo(dev.meridian.lb.LbPolicy.LEAST_REQUEST);
        assertThat(reviews.plan().panicThreshold()).isZero();
        assertThat(reviews.plan().overprovisioningFactor()).isEqualTo(200);
        assertThat(reviews.detector()).isNotNull();

        // The cluster now takes its endpoints from another service name, and drops outlier detection.
        var moved = edsCluster(REVIEWS, "reviews-v2").toBuilder()
                .setLbPolicy(io.envoyproxy.envoy.config.cluster.v3.Cluster.LbPolicy.LEAST_REQUEST)
                .build();
        server.respond(CLUSTER_TYPE_URL, "2", "n3", List.of(Any.pack(moved)));
        events.awaitAccepted(CLUSTER_TYPE_URL, "2");
        assertThat(server.nextRequest()).satisfies(r -> assertThat(isAck(r, CLUSTER_TYPE_URL, "2")).isTrue());
        DiscoveryRequest resubscribe = server.nextRequest();
        assertThat(resubscribe.getResourceNamesList()).containsExactly("reviews-v2");
        assertThat(resubscribe.getVersionInfo()).isEqualTo("1");
        // Like Envoy's cluster warming, the updated cluster waits for its first assignment: the old
        // settings and endpoints serve meanwhile.
        assertThat(reviews.drain()).isZero();
        assertThat(reviews.detector()).isNotNull();
        assertThat(pick(reviews, N).byZone()).containsExactly(Map.entry("us-east-1a", N));

        server.respond(ENDPOINT_TYPE_URL, "2", "n4", List.of(Any.pack(assignment("reviews-v2",
                locality("us-east", "us-east-1a", 0, "10.0.3.1:9080")))));
        events.awaitAccepted(ENDPOINT_TYPE_URL, "2");
        reviews.drain();
        assertThat(pick(reviews, N).byAddress()).containsExactly(Map.entry("10.0.3.1:9080", N));
        assertThat(reviews.plan().overprovisioningFactor()).isEqualTo(LbConfig.DEFAULT_OVERPROVISIONING_FACTOR);
        assertThat(reviews.detector()).as("outlier_detection removed: detection off").isNull();
    }

    @Test
    @DisplayName("bad configuration fails when it is built, naming the field and the value")
    void badConfiguration() {
        ManagedChannel channel = channel(1);
        assertThatThrownBy(() -> AdsClient.builder(null)).hasMessage("channel: must not be null");
        assertThatThrownBy(() -> AdsClient.builder(channel).node(" ", "c", CALLER))
                .hasMessage("node.id: must not be blank, got ' '");
        assertThatThrownBy(() -> AdsClient.builder(channel).node("n", "c", CALLER).build())
                .hasMessage("watch: at least one cluster must be watched");
        assertThatThrownBy(() -> AdsClient.builder(channel).watch(REVIEWS, destination()).build())
                .hasMessageStartingWith("node: must be set");
        Cluster one = destination();
        assertThatThrownBy(() -> AdsClient.builder(channel).watch("a", one).watch("b", one))
                .hasMessage("watch.target: already fed by cluster 'a' (one writer per destination), got it again for 'b'");
        assertThatThrownBy(() -> AdsClient.builder(channel).watch("a", one).watch("a", destination()))
                .hasMessage("watch.clusterName: already watched, got 'a'");
        assertThatThrownBy(() -> AdsClient.builder(channel).envoyRelease(99))
                .hasMessageStartingWith("envoyRelease: must be 1.");
        assertThatThrownBy(() -> AdsClient.builder(channel).backoff(Duration.ZERO, Duration.ofSeconds(1)))
                .hasMessage("backoff.initial: must be positive, got PT0S");
        assertThatThrownBy(() -> AdsClient.builder(channel).backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessage("backoff.max: must be at least initial PT2S, got PT1S");
        AdsClient client = AdsClient.builder(channel).node("n", "c", CALLER).watch("a", one).build();
        client.close();
        assertThatThrownBy(client::start).isInstanceOf(IllegalStateException.class);
    }
}
