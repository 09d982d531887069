package dev.meridian.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.topology.Caller;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link XdsSource} end to end over real sockets: java-control-plane's ADS server
 * ({@code V3DiscoveryServer} over a {@code SimpleCache}) on a loopback port serves one EDS cluster
 * whose endpoints are three Netty gRPC servers on loopback, r1/z1 at priority 0, r1/z2 at priority 1
 * and r2/z1 at priority 2, as istiod sends them to a node in r1/z1; a channel for that cluster runs
 * them as sent. The channel's own caller is in r2/z1: were Istio's priorities computed for it, r2
 * would take everything, so every count below also shows that the control plane's decision is the
 * one applied.
 *
 * <p>Envoy sends all the load to the highest priority with healthy hosts
 * ({@code LoadBalancerBase::recalculatePerPriorityState}, {@code source/common/upstream/load_balancer_impl.cc});
 * a control plane that removes an endpoint is obeyed at once. Nothing sleeps: a change is awaited by
 * calling until the server it moves calls to answers, and ejections on the listener's queue.
 */
class XdsSourceTest {

    private static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
    private static final String GROUP = "mesh";

    private ZoneServer z1;
    private ZoneServer z2;
    private ZoneServer r2;
    private Server controlPlane;
    private final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
    private ManagedChannel adsChannel;
    private XdsSource source;
    private final List<ManagedChannel> channels = new ArrayList<>();
    /** Sources and channels a test opened beside the shared ones, closed after the channels that use them. */
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private final ManualClock clock = new ManualClock();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws IOException {
        z1 = ZoneServer.start("r1/z1");
        z2 = ZoneServer.start("r1/z2");
        r2 = ZoneServer.start("r2/z1");
        controlPlane = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(new V3DiscoveryServer(cache).getAggregatedDiscoveryServiceImpl())
                .build().start();
        adsChannel = NettyChannelBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                controlPlane.getPort())).usePlaintext().build();
        source = sourceBuilder(adsChannel).build();
    }

    @AfterEach
    void stop() throws Exception {
        for (ManagedChannel c : channels) {
            c.shutdownNow();
            c.awaitTermination(30, TimeUnit.SECONDS);
        }
        for (AutoCloseable a : closeAfter) {
            a.close();
        }
        source.close();
        adsChannel.shutdownNow();
        adsChannel.awaitTermination(30, TimeUnit.SECONDS);
        controlPlane.shutdownNow();
        controlPlane.awaitTermination(30, TimeUnit.SECONDS);
        for (ZoneServer s : List.of(z1, z2, r2)) {
            s.stop();
        }
    }

    private static XdsSource.Builder sourceBuilder(ManagedChannel ads) {
        return XdsSource.builder(ads).node("sidecar~10.0.0.9~productpage-v1.default~default.svc.cluster.local",
                "productpage.default", Locality.parse("r1/z1"));
    }

    // ---- Envoy resources, as istiod writes them ----

    /** An EDS cluster over ADS, round robin, ejecting after 3 consecutive 5xx for 30 s. */
    private static Cluster cluster(String name) {
        return Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setServiceName(name)
                        .setEdsConfig(ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .setOutlierDetection(OutlierDetection.newBuilder().setConsecutive5Xx(UInt32Value.of(3))
                        .setInterval(Duration.newBuilder().setSeconds(1))
                        .setBaseEjectionTime(Duration.newBuilder().setSeconds(30))
                        .setMaxEjectionPercent(UInt32Value.of(100)))
                .build();
    }

    private static LocalityLbEndpoints locality(String locality, int priority, ZoneServer server) {
        Locality l = Locality.parse(locality);
        return LocalityLbEndpoints.newBuilder()
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion(l.region()).setZone(l.zone()))
                .setPriority(priority)
                .setLoadBalancingWeight(UInt32Value.of(1))
                .addLbEndpoints(LbEndpoint.newBuilder().setHealthStatus(HealthStatus.HEALTHY)
                        .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder().setSocketAddress(
                                SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(server.port())))))
                .build();
    }

    private static ClusterLoadAssignment assignment(String name, LocalityLbEndpoints... localities) {
        ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name);
        for (LocalityLbEndpoints l : localities) {
            cla.addEndpoints(l);
        }
        return cla.build();
    }

    /** Istio's priorities for a node in r1/z1 (applyLocalityFailover): its zone, its region, the rest. */
    private ClusterLoadAssignment threeZones() {
        return assignment(REVIEWS, locality("r1/z1", 0, z1), locality("r1/z2", 1, z2), locality("r2/z1", 2, r2));
    }

    private void publish(List<Cluster> clusters, String clustersVersion, List<ClusterLoadAssignment> assignments,
                         String assignmentsVersion) {
        cache.setSnapshot(GROUP, Snapshot.create(clusters, clustersVersion, assignments, assignmentsVersion,
                List.of(), "", List.of(), "", List.of(), ""));
    }

    // ---- channels and calls ----

    private ManagedChannel channel(String cluster, MeridianSource from) {
        ManagedChannel c = NettyChannelBuilder.forTarget(MeridianNameResolverProvider.target(cluster))
                .usePlaintext()
                .defaultLoadBalancingPolicy(MeridianLocalityLoadBalancerProvider.POLICY_NAME)
                .setNameResolverArg(MeridianNameResolverProvider.SOURCE, from)
                .setNameResolverArg(MeridianNameResolverProvider.CALLER, Caller.at(Locality.parse("r2/z1")))
                .setNameResolverArg(MeridianLocalityLoadBalancerProvider.CLOCK, clock)
                .setNameResolverArg(MeridianLocalityLoadBalancerProvider.EJECTION_LISTENER,
                        new LocalityFailoverTest.Events(events))
                .build();
        channels.add(c);
        return c;
    }

    private static Map<String, Integer> calls(ManagedChannel c, int n) {
        Map<String, Integer> by = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            by.merge(ZoneServer.call(c), 1, Integer::sum);
        }
        return by;
    }

    /** Calls until {@code server} answers (the channel has applied an update), at most 200 calls. */
    private static void callUntil(ManagedChannel c, ZoneServer server) {
        for (int i = 0; i < 200; i++) {
            if (ZoneServer.call(c).equals(server.name)) {
                return;
            }
        }
        throw new AssertionError(server.name + " never answered");
    }

    private Map<String, Integer> counts() {
        return Map.of("r1/z1", z1.calls(), "r1/z2", z2.calls(), "r2/z1", r2.calls());
    }

    private static Status failure(ManagedChannel c) {
        try {
            ZoneServer.call(c, 30_000);
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
        throw new AssertionError("the call succeeded");
    }

    // ---- tests ----

    @Test
    void theControlPlanesPrioritiesAreRunAsSentAndAnUpdateMovesCallsToTheNextPriority() {
        publish(List.of(cluster(REVIEWS)), "c1", List.of(threeZones()), "e1");
        ManagedChannel c = channel(REVIEWS, source);

        assertThat(calls(c, 20)).containsExactly(Map.entry("r1/z1", 20));
        assertThat(counts()).isEqualTo(Map.of("r1/z1", 20, "r1/z2", 0, "r2/z1", 0));

        // The control plane drops r1/z1 (its pods are gone) and sends the next zone at priority 0,
        // as istiod recomputes the assignment; the channel follows in one update.
        publish(List.of(cluster(REVIEWS)), "c1",
                List.of(assignment(REVIEWS, locality("r1/z2", 0, z2), locality("r2/z1", 1, r2))), "e2");
        callUntil(c, z2);
        int z1Calls = z1.calls();
        assertThat(calls(c, 20)).containsExactly(Map.entry("r1/z2", 20));
        assertThat(z1.calls()).isEqualTo(z1Calls);
        assertThat(r2.calls()).isZero();
    }

    @Test
    void theClustersOutlierDetectionEjectsToTheNextPriorityNotTheOtherRegionThenReturnsAndTheOtherRegionServesLast()
            throws Exception {
        publish(List.of(cluster(REVIEWS)), "c1", List.of(threeZones()), "e1");
        ManagedChannel c = channel(REVIEWS, source);
        assertThat(calls(c, 10)).containsExactly(Map.entry("r1/z1", 10));

        // consecutive_5xx 3 from the CDS resource: three UNAVAILABLE (503, grpcToHttpStatus) eject r1/z1.
        z1.fail(Status.UNAVAILABLE);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> ZoneServer.call(c)).isInstanceOf(StatusRuntimeException.class);
        }
        assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("ejected r1/z1 CONSECUTIVE_5XX");
        assertThat(calls(c, 20)).containsExactly(Map.entry("r1/z2", 20));
        assertThat(r2.calls()).isZero();

        // Healed: it returns at the first sweep after base_ejection_time (30 s on the manual clock;
        // DetectorImpl::checkHostForUneject) and takes everything again.
        z1.answer();
        clock.advance(java.time.Duration.ofSeconds(31));
        assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("returned r1/z1");
        assertThat(calls(c, 20)).containsExactly(Map.entry("r1/z1", 20));

        // Both r1 servers stop: their hosts fail their connections, and priority 2 serves. A call on a
        // connection being closed may fail, as through a sidecar without retries; none goes astray.
        z1.stop();
        z2.stop();
        ZoneServer.awaitServedBy(c, "r2/z1", 2);
        assertThat(calls(c, 20)).containsExactly(Map.entry("r2/z1", 20));
        assertThat(r2.calls()).isEqualTo(21);
    }

    @Test
    void aClusterWithoutEndpointsFailsCallsAtOnce() {
        publish(List.of(cluster(REVIEWS)), "c1", List.of(assignment(REVIEWS)), "e1");
        Status s = failure(channel(REVIEWS, source));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains(REVIEWS).contains("has no endpoints");
    }

    @Test
    void anUnknownClusterFailsCallsNamingItOnceTheInitialFetchTimesOut() {
        // java-control-plane's cache does not answer a subscription naming a cluster it lacks
        // (SimpleCache.respond: "not responding in ADS mode"), so only the initial fetch timeout
        // tells: Envoy's initial_fetch_timeout, grpc-java's INITIAL_RESOURCE_FETCH_TIMEOUT_SEC.
        publish(List.of(cluster(REVIEWS)), "c1", List.of(threeZones()), "e1");
        XdsSource impatient = sourceBuilder(adsChannel).initialFetchTimeout(java.time.Duration.ofMillis(200)).build();
        closeAfter.add(impatient);
        String ratings = "outbound|9080||ratings.default.svc.cluster.local";
        Status s = failure(channel(ratings, impatient));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).isEqualTo("meridian: xDS cluster '" + ratings + "': nothing from the"
                + " control plane within 200 ms (it has no such cluster, or not its endpoints)");
    }

    @Test
    void aRejectedClusterFailsCallsWithTheReason() {
        // CLUSTER_PROVIDED cannot run outside Envoy's own cluster types: NACKed, nothing to serve.
        publish(List.of(cluster(REVIEWS).toBuilder().setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED).build()), "c1",
                List.of(threeZones()), "e1");
        Status s = failure(channel(REVIEWS, source));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).startsWith("meridian: xDS cluster '" + REVIEWS + "': version 'c1' of its CDS"
                + " resource was rejected: ").contains("lb_policy");
    }

    @Test
    void aDeadControlPlaneFailsCallsAtOnce() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        ManagedChannel nowhere = NettyChannelBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                dead)).usePlaintext().build();
        XdsSource lost = sourceBuilder(nowhere).build();
        closeAfter.add(lost);
        closeAfter.add(nowhere::shutdownNow);
        Status s = failure(channel(REVIEWS, lost));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).startsWith("meridian: xDS cluster '" + REVIEWS
                + "': the control plane stream ended (UNAVAILABLE");
    }

    @Test
    void aNodeIsRequired() {
        assertThatThrownBy(() -> XdsSource.builder(adsChannel).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("node: must be set");
        assertThatThrownBy(() -> XdsSource.builder(adsChannel).node(" ", null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("node.id: must not be blank");
    }
}
