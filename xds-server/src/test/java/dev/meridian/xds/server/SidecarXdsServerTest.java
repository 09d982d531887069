package dev.meridian.xds.server;

import static dev.meridian.xds.server.MeshFixtures.node;
import static dev.meridian.xds.server.MeshFixtures.replace;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.meridian.core.Locality;
import dev.meridian.topology.Caller;
import dev.meridian.topology.LocalityGroup;
import dev.meridian.topology.Priority;
import dev.meridian.topology.PriorityAssignment;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server over real gRPC on loopback: what each sidecar receives is what istiod would send it
 * ({@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go}: {@code applyLocalityFailover} with
 * {@code util.LbPriority} proximity levels, renumbered without gaps), decided by
 * {@code DestinationPolicy.assign} for that sidecar's locality and labels.
 */
class SidecarXdsServerTest {

    static final String REVIEWS_CLUSTER = "outbound|9080||reviews.prod.svc.cluster.local";

    static final String REVIEWS = MeshFixtures.REVIEWS_ENTRY + "---\n" + MeshFixtures.REVIEWS_RULE;

    @TempDir
    Path dir;

    private MeshDirectory mesh;
    private SidecarXdsServer server;
    private ManagedChannel channel;
    private final BlockingQueue<Long> closedStreams = new LinkedBlockingQueue<>();
    private final BlockingQueue<DiscoveryRequest> requestsSeen = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws IOException {
        replace(dir.resolve("reviews.yaml"), REVIEWS);
        mesh = new MeshDirectory(dir);
        server = SidecarXdsServer.builder().port(0).model(mesh.reload()).executor(Runnable::run)
                .callbacks(new DiscoveryServerCallbacks() {
                    @Override
                    public void onStreamClose(long streamId, String typeUrl) {
                        closedStreams.add(streamId);
                    }

                    @Override
                    public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
                        closedStreams.add(streamId);
                    }

                    @Override
                    public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
                        requestsSeen.add(request);
                    }

                    @Override
                    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
                    }
                })
                .build().start();
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create())
                .build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
    }

    /** Address → Envoy priority, as the ClusterLoadAssignment carries it. */
    static Map<String, Integer> priorities(ClusterLoadAssignment cla) {
        Map<String, Integer> out = new TreeMap<>();
        for (LocalityLbEndpoints g : cla.getEndpointsList()) {
            for (LbEndpoint e : g.getLbEndpointsList()) {
                var a = e.getEndpoint().getAddress().getSocketAddress();
                out.put(a.getAddress() + ":" + a.getPortValue(), g.getPriority());
            }
        }
        return out;
    }

    /** Address → priority as Meridian's policy assigns it for a caller. */
    static Map<String, Integer> priorities(PriorityAssignment a) {
        Map<String, Integer> out = new TreeMap<>();
        for (Priority p : a.priorities()) {
            for (LocalityGroup g : p.localities()) {
                g.endpoints().forEach(e -> out.put(e.address(), p.priority()));
            }
        }
        return out;
    }

    /** "region/zone" → locality weight per priority, as the ClusterLoadAssignment carries it. */
    static Map<String, Integer> weights(ClusterLoadAssignment cla) {
        Map<String, Integer> out = new TreeMap<>();
        for (LocalityLbEndpoints g : cla.getEndpointsList()) {
            out.put(g.getPriority() + "@" + g.getLocality().getRegion() + "/" + g.getLocality().getZone(),
                    g.getLoadBalancingWeight().getValue());
        }
        return out;
    }

    static Map<String, Integer> weights(PriorityAssignment a) {
        Map<String, Integer> out = new TreeMap<>();
        for (Priority p : a.priorities()) {
            for (LocalityGroup g : p.localities()) {
                out.put(p.priority() + "@" + g.locality().region() + "/" + g.locality().zone(), g.weight());
            }
        }
        return out;
    }

    /**
     * Waits until the server has taken this many requests, such as a subscription's four (CDS, its
     * ACK, EDS, its ACK): then both watches are open and a new model is pushed CDS first, then EDS. A
     * model pushed while an ACK is still in flight may answer that ACK first.
     */
    void awaitRequests(int count) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            assertThat(requestsSeen.poll(30, TimeUnit.SECONDS)).as("request " + (i + 1) + " of " + count).isNotNull();
        }
    }

    PriorityAssignment expected(String cluster, Caller caller) {
        MeshModel model = server.model();
        MeshCluster c = model.cluster(cluster);
        return c.policy().assign(c.endpoints(), caller, c.service().kubernetesService(), model.release());
    }

    @Test
    void aSidecarInZoneAGetsIstiosPrioritiesForZoneA() throws Exception {
        try (AdsStream stream = AdsStream.open(channel)) {
            Node east = node("sidecar~10.1.0.1~productpage-1.prod~prod.svc.cluster.local", "us-east", "us-east-1a",
                    Map.of("app", "productpage"));
            AdsStream.Subscribed got = stream.subscribe(east);

            assertThat(got.cds().getVersionInfo()).isEqualTo("1");
            assertThat(got.names()).containsExactly(REVIEWS_CLUSTER);
            ClusterLoadAssignment cla = got.assignment(REVIEWS_CLUSTER);
            // LbPriority: same zone 0, same region 2, other region 3; renumbered 0, 1, 2.
            assertThat(priorities(cla)).isEqualTo(Map.of("10.0.1.1:9080", 0, "10.0.1.2:9080", 1, "10.0.2.1:9080", 2));
            PriorityAssignment a = expected(REVIEWS_CLUSTER,
                    new Caller(Locality.of("us-east", "us-east-1a", ""), Map.of("app", "productpage")));
            assertThat(priorities(cla)).isEqualTo(priorities(a));
            assertThat(weights(cla)).isEqualTo(weights(a));
            // Envoy's default overprovisioning factor: Istio writes none.
            assertThat(cla.getPolicy().getOverprovisioningFactor().getValue()).isEqualTo(140);

            Cluster cluster = got.cluster(REVIEWS_CLUSTER);
            assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
            assertThat(cluster.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
            assertThat(cluster.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
            // With outlier detection Istio writes healthy_panic_threshold = minHealthPercent, default 0
            // (cluster_traffic_policy.go applyOutlierDetection).
            assertThat(cluster.getCommonLbConfig().getHealthyPanicThreshold().getValue()).isZero();
            assertThat(cluster.getOutlierDetection().getConsecutive5Xx().getValue()).isEqualTo(5);
            // No failover or distribute rules: Istio leaves locality-weighted balancing off.
            assertThat(cluster.getCommonLbConfig().hasLocalityWeightedLbConfig()).isFalse();
        }
        assertThat(server.groups()).containsExactly(
                new SidecarGroup(Locality.of("us-east", "us-east-1a", ""), Map.of("app", "productpage")));
        assertThat(server.streamsOpened()).isEqualTo(1);
        assertThat(server.responsesSent()).isEqualTo(2);
    }

    @Test
    void aSidecarInAnotherRegionGetsADifferentAssignment() throws Exception {
        try (AdsStream east = AdsStream.open(channel); AdsStream west = AdsStream.open(channel)) {
            ClusterLoadAssignment fromEast = east.subscribe(node("east", "us-east", "us-east-1a", Map.of()))
                    .assignment(REVIEWS_CLUSTER);
            ClusterLoadAssignment fromWest = west.subscribe(node("west", "us-west", "us-west-1a", Map.of()))
                    .assignment(REVIEWS_CLUSTER);
            assertThat(priorities(fromWest)).isEqualTo(Map.of("10.0.1.1:9080", 1, "10.0.1.2:9080", 1,
                    "10.0.2.1:9080", 0));
            assertThat(priorities(fromWest)).isEqualTo(priorities(expected(REVIEWS_CLUSTER,
                    Caller.at(Locality.of("us-west", "us-west-1a", "")))));
            assertThat(priorities(fromWest)).isNotEqualTo(priorities(fromEast));
        }
        assertThat(server.groups()).hasSize(2);
        assertThat(server.streamsOpened()).isEqualTo(2);
    }

    @Test
    void sidecarsOfOneGroupShareOneSnapshot() throws Exception {
        try (AdsStream a = AdsStream.open(channel); AdsStream b = AdsStream.open(channel)) {
            var first = a.subscribe(node("a", "us-east", "us-east-1a", Map.of("app", "x")));
            var second = b.subscribe(node("b", "us-east", "us-east-1a", Map.of("app", "x")));
            assertThat(second.assignments()).isEqualTo(first.assignments());
        }
        assertThat(server.groups()).hasSize(1);
    }

    @Test
    void aChangedFileReloadedPushesANewVersionToConnectedSidecars() throws Exception {
        try (AdsStream east = AdsStream.open(channel)) {
            AdsStream.Subscribed before = east.subscribe(node("east", "us-east", "us-east-1a", Map.of()));
            assertThat(before.eds().getVersionInfo()).isEqualTo("1");
            awaitRequests(4);

            // Without outlier detection Istio applies no failover: every endpoint at priority 0.
            replace(dir.resolve("reviews.yaml"), REVIEWS.replace(
                    "    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}\n", ""));
            server.update(mesh.reload());

            // java-control-plane's SimpleCache answers the stream's open CDS and EDS watches of one
            // snapshot in no fixed order (SimpleCache.setSnapshot walks its watches per type), so the
            // two responses are told apart by type, not by position.
            Map<String, DiscoveryResponse> byType = new java.util.HashMap<>();
            for (int i = 0; i < 2; i++) {
                DiscoveryResponse r = east.next();
                assertThat(byType.put(r.getTypeUrl(), r)).as("one response per type").isNull();
            }
            DiscoveryResponse cds = byType.get(AdsStream.CDS);
            assertThat(cds.getVersionInfo()).isEqualTo("2");
            assertThat(AdsStream.clusters(cds).get(0).hasOutlierDetection()).isFalse();
            DiscoveryResponse eds = byType.get(AdsStream.EDS);
            assertThat(eds.getVersionInfo()).isEqualTo("2");
            assertThat(priorities(AdsStream.assignments(eds).get(0)))
                    .isEqualTo(Map.of("10.0.1.1:9080", 0, "10.0.1.2:9080", 0, "10.0.2.1:9080", 0));
        }
        assertThat(server.version()).isEqualTo(2);
    }

    @Test
    void theWatcherPushesAnEditAndAMalformedFileKeepsTheLastGoodModel() throws Exception {
        BlockingQueue<IllegalArgumentException> rejected = new LinkedBlockingQueue<>();
        try (AdsStream east = AdsStream.open(channel);
             MeshDirectory.Watch watch = mesh.watch(server::update, rejected::add)) {
            east.subscribe(node("east", "us-east", "us-east-1a", Map.of()));
            awaitRequests(4);

            replace(dir.resolve("broken.yaml"), "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
                    + "metadata: {name: broken}\nspec: {hosts: ['*']}\n");
            IllegalArgumentException e = rejected.poll(30, TimeUnit.SECONDS);
            assertThat(e).hasMessage(dir.resolve("broken.yaml") + ": spec.hosts[0]: invalid host, got '*' "
                    + "(a full wildcard is not allowed)");
            assertThat(server.version()).isEqualTo(1);
            assertThat(east.responses).isEmpty();

            // Fixing the file and adding an endpoint is one model change: version 2 reaches the sidecar.
            replace(dir.resolve("broken.yaml"), "kind: Service\napiVersion: v1\nmetadata: {name: ignored}\n");
            replace(dir.resolve("reviews.yaml"), REVIEWS.replace(
                    "  - {address: 10.0.2.1", "  - {address: 10.0.1.3, locality: us-east/us-east-1a}\n"
                            + "  - {address: 10.0.2.1"));
            // The watcher may see the two replacements as one change or as two.
            DiscoveryResponse r = east.next();
            while (!r.getTypeUrl().equals(AdsStream.EDS)
                    || !priorities(AdsStream.assignments(r).get(0)).containsKey("10.0.1.3:9080")) {
                east.ack(r, r.getTypeUrl().equals(AdsStream.EDS) ? List.of(REVIEWS_CLUSTER) : List.of());
                r = east.next();
            }
            assertThat(priorities(AdsStream.assignments(r).get(0))).containsEntry("10.0.1.3:9080", 0);
        }
        assertThat(server.version()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aDeadSidecarDoesNotBreakTheOthers() throws Exception {
        try (AdsStream live = AdsStream.open(channel)) {
            AdsStream dead = AdsStream.open(channel);
            dead.subscribe(node("dead", "us-east", "us-east-1a", Map.of()));
            live.subscribe(node("live", "us-east", "us-east-1a", Map.of()));
            awaitRequests(8);
            assertThat(server.openStreams()).isEqualTo(2);

            dead.cancel();
            assertThat(closedStreams.poll(30, TimeUnit.SECONDS)).isNotNull();
            assertThat(server.openStreams()).isEqualTo(1);

            server.update(mesh.reload());
            assertThat(live.next().getVersionInfo()).isEqualTo("2");
            assertThat(live.next().getVersionInfo()).isEqualTo("2");
        }
        assertThat(server.streamsOpened()).isEqualTo(2);
    }

    @Test
    void aSlowSidecarDoesNotHoldUpTheOthers() throws Exception {
        try (AdsStream slow = AdsStream.openSlow(channel); AdsStream fast = AdsStream.open(channel)) {
            // The slow sidecar asks and never reads: its responses wait in gRPC's buffers.
            slow.request(node("slow", "us-east", "us-east-1a", Map.of()), AdsStream.CDS, List.of(), "", "");
            fast.subscribe(node("fast", "us-east", "us-east-1a", Map.of()));
            for (int i = 0; i < 20; i++) {
                server.update(mesh.reload());
            }
            DiscoveryResponse r = fast.next();
            while (!r.getVersionInfo().equals("21")) {
                fast.ack(r, r.getTypeUrl().equals(AdsStream.EDS) ? List.of(REVIEWS_CLUSTER) : List.of());
                r = fast.next();
            }
            assertThat(slow.responses).isEmpty();
            // The slow sidecar is neither dropped nor failed meanwhile: its stream stays open.
            assertThat(server.openStreams()).isEqualTo(2);
            assertThat(slow.closed).isNotDone();
        }
    }

    @Test
    void groupsArrivingWhileAModelIsPublishedAllEndOnTheLatestModel() throws Exception {
        int rounds = 25;
        int sidecarsPerRound = 4;
        List<AdsStream> streams = new CopyOnWriteArrayList<>();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        try {
            for (int round = 0; round < rounds; round++) {
                // New groups ask for their first snapshot while the next model is published.
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < sidecarsPerRound; i++) {
                    Node sidecar = node("s" + round + "-" + i, "us-east", "us-east-1a", Map.of("app", round + "-" + i));
                    threads.add(new Thread(() -> {
                        try {
                            go.await();
                            AdsStream stream = AdsStream.open(channel);
                            streams.add(stream);
                            stream.request(sidecar, AdsStream.CDS, List.of(), "", "");
                            // Answered: the group is known and has its first snapshot.
                            stream.next();
                        } catch (Throwable t) {
                            failures.add(t);
                        }
                    }, "sidecar-" + round + "-" + i));
                }
                threads.add(new Thread(() -> {
                    try {
                        go.await();
                        server.update(mesh.reload());
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }, "publisher-" + round));
                threads.forEach(Thread::start);
                go.countDown();
                for (Thread t : threads) {
                    t.join();
                }
                assertThat(failures).isEmpty();
                // Whichever model a group's first snapshot came from, the latest one reaches every group.
                String latest = Long.toString(server.version());
                assertThat(latest).isEqualTo(Integer.toString(round + 2));
                assertThat(server.groups()).hasSize((round + 1) * sidecarsPerRound);
                for (SidecarGroup g : server.groups()) {
                    assertThat(server.snapshot(g).version(AdsStream.CDS)).as("round " + round + ", group " + g)
                            .isEqualTo(latest);
                }
            }
        } finally {
            streams.forEach(AdsStream::close);
        }
    }

    @Test
    void aMalformedNodeClosesOnlyItsOwnStream() throws Exception {
        try (AdsStream good = AdsStream.open(channel)) {
            AdsStream bad = AdsStream.open(channel);
            Node malformed = Node.newBuilder().setId("bad").setMetadata(Struct.newBuilder().putFields(
                    SidecarGroup.METADATA_LABELS, Value.newBuilder().setStructValue(Struct.newBuilder()
                            .putFields("version", Value.newBuilder().setNumberValue(1).build())).build())).build();
            bad.request(malformed, AdsStream.CDS, List.of(), "", "");
            Throwable error = bad.closed.get(30, TimeUnit.SECONDS);
            assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(Status.fromThrowable(error).getDescription())
                    .isEqualTo("node.metadata.LABELS.version: expected a string, got the number 1.0");

            good.subscribe(node("good", "us-east", "us-east-1a", Map.of()));
        }
        assertThat(server.rejectedNodes()).isEqualTo(1);
        assertThat(server.groups()).hasSize(1);
    }

    @Test
    void aStreamIsGroupedByItsFirstNodeWhenLaterRequestsOmitIt() throws Exception {
        // Istio's bootstrap sets set_node_on_first_message_only (tools/packaging/common/envoy_bootstrap.json):
        // AdsStream.subscribe sends the EDS request without a node.
        try (AdsStream west = AdsStream.open(channel)) {
            ClusterLoadAssignment cla = west.subscribe(node("west", "us-west", "us-west-1a", Map.of()))
                    .assignment(REVIEWS_CLUSTER);
            // us-west's priorities, not those of a sidecar with no locality (every endpoint at 0).
            assertThat(priorities(cla)).isEqualTo(Map.of("10.0.1.1:9080", 1, "10.0.1.2:9080", 1,
                    "10.0.2.1:9080", 0));
        }
        assertThat(server.groups()).containsExactly(new SidecarGroup(Locality.of("us-west", "us-west-1a", ""),
                Map.of()));
    }

    /**
     * The reviews mesh with PreferClose annotated on the ServiceEntry, under Istio 1.24, which reads no
     * traffic distribution: every sidecar's assignment warns about it.
     */
    Path preferCloseOnIstio124() throws IOException {
        Path other = Files.createDirectory(dir.resolve("old-mesh"));
        replace(other.resolve("mesh.yaml"), REVIEWS.replace("metadata: {name: reviews, namespace: prod}\nspec:\n  hosts",
                "metadata:\n  name: reviews\n  namespace: prod\n  annotations: {networking.istio.io/traffic-distribution: "
                        + "PreferClose}\nspec:\n  hosts") + """
                ---
                apiVersion: install.istio.io/v1alpha1
                kind: IstioOperator
                spec: {tag: 1.24.2}
                """);
        return other;
    }

    @Test
    void whatTheAssignmentWarnsAboutIsReportedOncePerModel() throws Exception {
        // Istio reads a Service's traffic distribution from 1.25 on (pull request 54715); a 1.24 mesh
        // ignores the ServiceEntry's annotation, and the server says so once, not once per sidecar.
        Path other = preferCloseOnIstio124();
        List<String> warned = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (SidecarXdsServer s = SidecarXdsServer.builder().model(MeshDirectory.read(other)).executor(Runnable::run)
                .warnings(warned::add).build().start()) {
            ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", s.port(),
                    InsecureChannelCredentials.create()).build();
            try (AdsStream a = AdsStream.open(c); AdsStream b = AdsStream.open(c)) {
                a.subscribe(node("a", "us-east", "us-east-1a", Map.of()));
                b.subscribe(node("b", "us-east", "us-east-1b", Map.of()));
            } finally {
                c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
            assertThat(s.groups()).hasSize(2);
        }
        assertThat(warned).containsExactly("cluster " + REVIEWS_CLUSTER + ": service: Istio 1.24 does not read "
                + "trafficDistribution or networking.istio.io/traffic-distribution (from 1.25, pull request 54715)");
    }

    @Test
    void aWarningConsumerThatThrowsNeitherClosesTheStreamNorStrandsTheGroup() throws Exception {
        // The same 1.24 mesh: its assignment warns, and the embedder's consumer fails on the warning.
        Path other = preferCloseOnIstio124();
        List<String> offered = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (SidecarXdsServer s = SidecarXdsServer.builder().model(MeshDirectory.read(other)).executor(Runnable::run)
                .warnings(w -> {
                    offered.add(w);
                    throw new IllegalStateException("log sink full");
                }).build().start()) {
            ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", s.port(),
                    InsecureChannelCredentials.create()).build();
            try (AdsStream first = AdsStream.open(c)) {
                ClusterLoadAssignment cla = first.subscribe(node("a", "us-east", "us-east-1a", Map.of()))
                        .assignment(REVIEWS_CLUSTER);
                assertThat(priorities(cla)).isEqualTo(Map.of("10.0.1.1:9080", 0, "10.0.1.2:9080", 1,
                        "10.0.2.1:9080", 2));
                // A second sidecar of the same group is served the group's snapshot.
                try (AdsStream second = AdsStream.open(c)) {
                    assertThat(second.subscribe(node("b", "us-east", "us-east-1a", Map.of())).assignments())
                            .containsExactly(cla);
                }
                // A new model is computed for the group again, the consumer failing again, and pushed.
                s.update(MeshDirectory.read(other));
                assertThat(first.next().getVersionInfo()).isEqualTo("2");
            } finally {
                c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
            assertThat(s.groups()).hasSize(1);
            assertThat(s.snapshot(s.groups().iterator().next()).version(AdsStream.CDS)).isEqualTo("2");
        }
        assertThat(offered).hasSize(2).allSatisfy(w -> assertThat(w).contains("Istio 1.24 does not read"));
    }
}
