package dev.meridian.xds;

import static dev.meridian.xds.AdsClient.CLUSTER_TYPE_URL;
import static dev.meridian.xds.AdsClient.ENDPOINT_TYPE_URL;
import static dev.meridian.xds.EnvoyResources.assignment;
import static dev.meridian.xds.EnvoyResources.edsCluster;
import static dev.meridian.xds.EnvoyResources.locality;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.meridian.cluster.Cluster;
import dev.meridian.xds.RecordingListener.Accepted;
import dev.meridian.xds.RecordingListener.Disconnected;
import dev.meridian.xds.RecordingListener.Rejected;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The ADS client speaking incremental xDS ({@code DeltaAggregatedResources}; Envoy's
 * {@code api/xds_protocol.rst}, "Incremental xDS") over real gRPC on loopback, against
 * java-control-plane's server and a scripted peer. The contract is the state-of-the-world one;
 * these tests cover what the variant changes: explicit removals, per-resource versions on
 * reconnect, NACKs by nonce alone.
 */
class IncrementalAdsClientTest extends AdsClientFixture {

    private static final String RATINGS = "outbound|9080||ratings.default.svc.cluster.local";

    IncrementalAdsClientTest() {
        super(true);
    }

    @Test
    @DisplayName("incremental: the local zone's endpoints removed moves every pick to priority 1 in one update")
    void localZoneRemovedFailsOver() throws Exception {
        LoopbackControlPlane cp = closing(LoopbackControlPlane.start());
        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c1", List.of(twoZones(REVIEWS)), "e1");
        Cluster reviews = destination();
        closing(client(channel(cp.port())).watch(REVIEWS, reviews).build()).start();
        DeltaDiscoveryRequest first = cp.awaitDeltaRequest(r -> true);
        assertThat(first.getTypeUrl()).isEqualTo(CLUSTER_TYPE_URL);
        assertThat(first.getResourceNamesSubscribeList()).containsExactly(REVIEWS);
        assertThat(first.getInitialResourceVersionsMap()).isEmpty();
        assertThat(first.getNode().getUserAgentName()).isEqualTo("meridian");

        events.awaitAccepted(ENDPOINT_TYPE_URL, "e1");
        reviews.drain();
        assertThat(pick(reviews, N).byPriority()).containsExactly(Map.entry(0, N));

        long publications = reviews.publications();
        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c1", List.of(assignment(REVIEWS,
                locality("us-east", "us-east-1b", 1, "10.0.1.1:9080", "10.0.1.2:9080"))), "e2");
        events.awaitAccepted(ENDPOINT_TYPE_URL, "e2");
        reviews.drain();
        assertThat(reviews.publications()).isEqualTo(publications + 1);
        Picks after = pick(reviews, N);
        assertThat(after.byPriority()).containsExactly(Map.entry(1, N));
        assertThat(after.byAddress()).containsExactly(Map.entry("10.0.1.1:9080", 500), Map.entry("10.0.1.2:9080", 500));
        // ACK: the response's nonce, no error_detail ("Incremental xDS").
        cp.awaitDeltaRequest(r -> r.getTypeUrl().equals(ENDPOINT_TYPE_URL) && !r.getResponseNonce().isEmpty()
                && !r.hasErrorDetail());
    }

    @Test
    @DisplayName("incremental: a NACK carries the nonce and the field; the last good config stays")
    void nackKeepsTheLastGoodConfig() throws Exception {
        LoopbackControlPlane cp = closing(LoopbackControlPlane.start());
        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c1", List.of(twoZones(REVIEWS)), "e1");
        Cluster reviews = destination();
        closing(client(channel(cp.port())).watch(REVIEWS, reviews).build()).start();
        events.awaitAccepted(ENDPOINT_TYPE_URL, "e1");
        reviews.drain();
        Picks before = pick(reviews, N);

        var bad = clusterProvided(REVIEWS);
        cp.publish(List.of(bad), "c2", List.of(twoZones(REVIEWS)), "e1");
        Rejected rejected = events.awaitRejected(CLUSTER_TYPE_URL, "c2");
        assertThat(rejected.reason()).contains("lb_policy");
        DeltaDiscoveryRequest nack = cp.awaitDeltaRequest(r -> r.hasErrorDetail());
        assertThat(nack.getTypeUrl()).isEqualTo(CLUSTER_TYPE_URL);
        assertThat(nack.getResponseNonce()).isNotEmpty();
        assertThat(nack.getErrorDetail().getMessage()).isEqualTo(rejected.reason());
        assertThat(reviews.drain()).isZero();
        assertThat(pick(reviews, N)).isEqualTo(before);
    }

    @Test
    @DisplayName("incremental: a restarted control plane gets every name again with the versions the client holds")
    void restartResubscribesWithInitialVersions() throws Exception {
        LoopbackControlPlane cp = closing(LoopbackControlPlane.start());
        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c1", List.of(twoZones(REVIEWS)), "e1");
        Cluster reviews = destination();
        ManagedChannel channel = channel(cp.port());
        closing(client(channel).watch(REVIEWS, reviews).build()).start();
        events.awaitAccepted(ENDPOINT_TYPE_URL, "e1");
        reviews.drain();
        Picks before = pick(reviews, N);

        cp.stop();
        events.await(Disconnected.class, d -> true);
        assertThat(reviews.drain()).isZero();
        assertThat(pick(reviews, N)).isEqualTo(before);

        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c1", List.of(assignment(REVIEWS,
                locality("us-east", "us-east-1a", 0, "10.0.0.3:9080"))), "e2");
        cp.restart();
        channel.resetConnectBackoff();
        // DeltaSubscriptionState::getNextRequestAckless: a new stream's first request names every
        // resource again and gives the versions held in initial_resource_versions.
        DeltaDiscoveryRequest cds = cp.awaitDeltaRequest(r -> r.getTypeUrl().equals(CLUSTER_TYPE_URL)
                && r.getResponseNonce().isEmpty() && r.getInitialResourceVersionsCount() > 0);
        assertThat(cds.getResourceNamesSubscribeList()).containsExactly(REVIEWS);
        assertThat(cds.getInitialResourceVersionsMap()).containsOnlyKeys(REVIEWS);
        DeltaDiscoveryRequest eds = cp.awaitDeltaRequest(r -> r.getTypeUrl().equals(ENDPOINT_TYPE_URL)
                && r.getResponseNonce().isEmpty());
        assertThat(eds.getResourceNamesSubscribeList()).containsExactly(REVIEWS);
        assertThat(eds.getInitialResourceVersionsMap()).containsOnlyKeys(REVIEWS);

        events.awaitAccepted(ENDPOINT_TYPE_URL, "e2");
        reviews.drain();
        assertThat(pick(reviews, N).byAddress()).containsExactly(Map.entry("10.0.0.3:9080", N));
    }

    @Test
    @DisplayName("incremental: removed_resources keeps the cluster serving, warns, and unsubscribes its endpoints")
    void removedClusterKeepsServing() throws Exception {
        LoopbackControlPlane cp = closing(LoopbackControlPlane.start());
        ClusterLoadAssignment ratingsEndpoints = assignment(RATINGS, locality("us-east", "us-east-1a", 0,
                "10.0.2.1:9080"));
        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS), edsCluster(RATINGS, RATINGS)), "c1",
                List.of(twoZones(REVIEWS), ratingsEndpoints), "e1");
        Cluster reviews = destination();
        Cluster ratings = destination();
        closing(client(channel(cp.port())).watch(REVIEWS, reviews).watch(RATINGS, ratings).build()).start();
        events.awaitAccepted(ENDPOINT_TYPE_URL, "e1");
        ratings.drain();
        Picks ratingsBefore = pick(ratings, N);

        cp.publish(List.of(edsCluster(REVIEWS, REVIEWS)), "c2", List.of(twoZones(REVIEWS)), "e2");
        Accepted accepted = events.awaitAccepted(CLUSTER_TYPE_URL, "c2");
        assertThat(accepted.warnings()).singleElement().satisfies(w -> {
            assertThat(w.field()).isEqualTo("cluster");
            assertThat(w.message()).contains(RATINGS);
        });
        DeltaDiscoveryRequest unsubscribe = cp.awaitDeltaRequest(r -> r.getTypeUrl().equals(ENDPOINT_TYPE_URL)
                && r.getResourceNamesUnsubscribeCount() > 0);
        assertThat(unsubscribe.getResourceNamesUnsubscribeList()).containsExactly(RATINGS);
        assertThat(unsubscribe.getResponseNonce()).as("a spontaneous request omits the nonce").isEmpty();
        assertThat(ratings.drain()).isZero();
        assertThat(pick(ratings, N)).isEqualTo(ratingsBefore);
    }

    @Test
    @DisplayName("incremental: a wrong type URL is NACKed whole; an unset resource or a removed assignment keeps the endpoints; a heartbeat changes nothing")
    void scriptedPeer() throws Exception {
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        Cluster reviews = destination();
        closing(client(channel(server.port())).watch(REVIEWS, reviews).build()).start();
        assertThat(server.nextDeltaRequest().getResourceNamesSubscribeList()).containsExactly(REVIEWS);
        server.respondDelta(response(CLUSTER_TYPE_URL, "n1", resource(REVIEWS, "v1", Any.pack(edsCluster(REVIEWS, REVIEWS)))));
        assertThat(server.nextDeltaRequest().getResponseNonce()).isEqualTo("n1");
        DeltaDiscoveryRequest edsSubscribe = server.nextDeltaRequest();
        assertThat(edsSubscribe.getTypeUrl()).isEqualTo(ENDPOINT_TYPE_URL);
        assertThat(edsSubscribe.getResourceNamesSubscribeList()).containsExactly(REVIEWS);
        server.respondDelta(response(ENDPOINT_TYPE_URL, "n2", resource(REVIEWS, "v1", Any.pack(twoZones(REVIEWS)))));
        assertThat(server.nextDeltaRequest().hasErrorDetail()).isFalse();
        reviews.drain();
        Picks before = pick(reviews, N);

        // DeltaSubscriptionState::handleGoodResponse rejects an Any of another type, whole.
        server.respondDelta(response(CLUSTER_TYPE_URL, "n3", resource(REVIEWS, "v2", Any.pack(twoZones(REVIEWS)))));
        DeltaDiscoveryRequest nack = server.nextDeltaRequest();
        assertThat(nack.getResponseNonce()).isEqualTo("n3");
        assertThat(nack.getErrorDetail().getMessage()).isEqualTo("resources[0].resource.type_url: expected "
                + CLUSTER_TYPE_URL + ", got '" + ENDPOINT_TYPE_URL + "'");
        // Bytes that are not a Cluster.
        server.respondDelta(response(CLUSTER_TYPE_URL, "n4", resource(REVIEWS, "v3", Any.newBuilder()
                .setTypeUrl(CLUSTER_TYPE_URL).setValue(ByteString.copyFrom(new byte[] {0x0A, 0x05})).build())));
        assertThat(server.nextDeltaRequest().getErrorDetail().getMessage())
                .startsWith("resources[0].resource.value: not a valid envoy.config.cluster.v3.Cluster");

        // A heartbeat (no resource, the version held) is neither a change nor a removal.
        server.respondDelta(response(ENDPOINT_TYPE_URL, "n5", Resource.newBuilder().setName(REVIEWS).setVersion("v1")
                .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(30)).build()));
        assertThat(events.awaitAccepted(ENDPOINT_TYPE_URL, "").warnings()).isEmpty();
        assertThat(server.nextDeltaRequest().getResponseNonce()).isEqualTo("n5");

        // The assignment removed: the cluster keeps its endpoints and a warning says so.
        server.respondDelta(DeltaDiscoveryResponse.newBuilder().setTypeUrl(ENDPOINT_TYPE_URL).setNonce("n6")
                .addRemovedResources(REVIEWS).build());
        Accepted removed = events.await(Accepted.class, a -> !a.warnings().isEmpty());
        assertThat(removed.warnings()).singleElement().satisfies(w ->
                assertThat(w.field()).isEqualTo("cluster_load_assignment"));
        server.nextDeltaRequest();

        // The cluster's resource unset: it does not exist, which keeps it serving as a removal does.
        server.respondDelta(response(CLUSTER_TYPE_URL, "n7", Resource.newBuilder().setName(REVIEWS).build()));
        Accepted gone = events.await(Accepted.class, a -> a.typeUrl().equals(CLUSTER_TYPE_URL));
        assertThat(gone.warnings()).singleElement().satisfies(w -> assertThat(w.message()).contains("removed"));
        assertThat(server.nextDeltaRequest().getResponseNonce()).isEqualTo("n7");
        DeltaDiscoveryRequest unsubscribe = server.nextDeltaRequest();
        assertThat(unsubscribe.getResourceNamesUnsubscribeList()).containsExactly(REVIEWS);

        assertThat(reviews.drain()).isZero();
        assertThat(pick(reviews, N)).isEqualTo(before);
    }

    @Test
    @DisplayName("incremental: the same rejection again is NACKed after a backoff, not at once")
    void repeatedRejectionIsPaced() throws Exception {
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        ManualScheduler scheduler = new ManualScheduler();
        closing(client(channel(server.port())).watch(REVIEWS, destination()).scheduler(scheduler)
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build()).start();
        server.nextDeltaRequest();
        var bad = clusterProvided(REVIEWS);
        server.respondDelta(response(CLUSTER_TYPE_URL, "n1", resource(REVIEWS, "v1", Any.pack(bad))));
        assertThat(server.nextDeltaRequest().getResponseNonce()).isEqualTo("n1");
        server.respondDelta(response(CLUSTER_TYPE_URL, "n2", resource(REVIEWS, "v1", Any.pack(bad))));
        events.awaitRejected(CLUSTER_TYPE_URL, "");
        events.awaitRejected(CLUSTER_TYPE_URL, "");
        ManualScheduler.Task paced = scheduler.next();
        assertThat(paced.delay).isLessThan(Duration.ofMillis(100));
        paced.run();
        DeltaDiscoveryRequest nack = server.nextDeltaRequest();
        assertThat(nack.getResponseNonce()).isEqualTo("n2");
        assertThat(nack.getErrorDetail().getMessage()).contains("lb_policy");
    }

    private static Resource resource(String name, String version, Any value) {
        return Resource.newBuilder().setName(name).setVersion(version).setResource(value).build();
    }

    private static DeltaDiscoveryResponse response(String typeUrl, String nonce, Resource... resources) {
        return DeltaDiscoveryResponse.newBuilder().setTypeUrl(typeUrl).setNonce(nonce)
                .addAllResources(List.of(resources)).build();
    }
}
