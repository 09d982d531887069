package dev.meridian.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.topology.Caller;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meridian_locality} end to end over real sockets: three Netty servers on loopback labelled
 * r1/z1, r1/z2 and r2/z1, a directory of Istio YAML naming them (a ServiceEntry and a
 * DestinationRule with outlier detection), and a channel for {@code meridian:///reviews} whose
 * caller runs in r1/z1. Istio's priorities for that caller ({@code applyLocalityFailover} in
 * {@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go}): r1/z1 is priority 0, r1/z2
 * priority 1, r2 priority 2; Envoy sends everything to the highest priority with healthy hosts
 * ({@code LoadBalancerBase::recalculatePerPriorityState}), and Istio turns panic off with outlier
 * detection ({@code minHealthPercent} 0, {@code applyOutlierDetection}).
 *
 * <p>Time: ejections last 30 s on a {@link ManualClock} the test advances; the balancer's timer
 * still runs in real time, so a sweep due on the manual clock runs within the 1 s interval. Nothing
 * sleeps: the test waits for the ejection listener's events on a queue.
 */
class LocalityFailoverTest {

    private static final Caller CALLER = Caller.at(Locality.parse("r1/z1"));

    @TempDir
    Path dir;

    private ZoneServer z1;
    private ZoneServer z2;
    private ZoneServer r2;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final ManualClock clock = new ManualClock();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @BeforeEach
    void startServers() throws IOException {
        z1 = ZoneServer.start("r1/z1");
        z2 = ZoneServer.start("r1/z2");
        r2 = ZoneServer.start("r2/z1");
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow();
            c.awaitTermination(30, TimeUnit.SECONDS);
        }
        for (ZoneServer s : List.of(z1, z2, r2)) {
            s.stop();
        }
    }

    /** The three servers as a ServiceEntry, and a DestinationRule with the given trafficPolicy (or none). */
    static String mesh(Map<String, Integer> portsByLocality, String trafficPolicy) {
        StringBuilder y = new StringBuilder("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews.default.svc.cluster.local]
                  ports: [{number: 9080, name: grpc, protocol: GRPC}]
                  resolution: STATIC
                  endpoints:
                """);
        portsByLocality.forEach((locality, port) -> y.append("  - {address: 127.0.0.1, ports: {grpc: ")
                .append(port).append("}, locality: ").append(locality).append("}\n"));
        if (trafficPolicy != null) {
            y.append("""
                    ---
                    apiVersion: networking.istio.io/v1
                    kind: DestinationRule
                    metadata: {name: reviews, namespace: default}
                    spec:
                      host: reviews.default.svc.cluster.local
                      trafficPolicy:
                    """).append(trafficPolicy.indent(4));
        }
        return y.toString();
    }

    static final String OUTLIER_POLICY = """
            loadBalancer: {simple: ROUND_ROBIN}
            outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 100}
            """;

    private MeshDirectorySource source(String yaml) throws IOException {
        Files.writeString(dir.resolve("mesh.yaml"), yaml);
        return MeshDirectorySource.read(dir);
    }

    private Map<String, Integer> threeZones() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("r1/z1", z1.port());
        m.put("r1/z2", z2.port());
        m.put("r2/z1", r2.port());
        return m;
    }

    private ManagedChannel channel(String target, MeridianSource source) {
        ManagedChannel c = NettyChannelBuilder.forTarget(target)
                .usePlaintext()
                .defaultLoadBalancingPolicy(MeridianLocalityLoadBalancerProvider.POLICY_NAME)
                .setNameResolverArg(MeridianNameResolverProvider.SOURCE, source)
                .setNameResolverArg(MeridianNameResolverProvider.CALLER, CALLER)
                .setNameResolverArg(MeridianLocalityLoadBalancerProvider.CLOCK, clock)
                .setNameResolverArg(MeridianLocalityLoadBalancerProvider.EJECTION_LISTENER, new Events(events))
                .build();
        channels.add(c);
        return c;
    }

    /** Calls {@code n} times; every call must succeed. Returns the answering servers' names, counted. */
    private static Map<String, Integer> calls(ManagedChannel c, int n) {
        Map<String, Integer> by = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            by.merge(ZoneServer.call(c), 1, Integer::sum);
        }
        return by;
    }

    private Map<String, Integer> counts() {
        return Map.of("r1/z1", z1.calls(), "r1/z2", z2.calls(), "r2/z1", r2.calls());
    }

    @Test
    void localZoneTakesEverythingThenFailsOverWithinTheRegionThenComesBackThenTheOtherRegionServes() throws Exception {
        ManagedChannel c = channel("meridian:///reviews", source(mesh(threeZones(), OUTLIER_POLICY)));

        assertThat(calls(c, 20)).containsExactly(Map.entry("r1/z1", 20));
        assertThat(counts()).isEqualTo(Map.of("r1/z1", 20, "r1/z2", 0, "r2/z1", 0));

        // r1/z1 fails every call with UNAVAILABLE, a trailers-only response: Envoy maps it to 503
        // (grpcToHttpStatus) and three consecutive 5xx eject the host (consecutive5xxErrors: 3).
        z1.fail(Status.UNAVAILABLE);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> ZoneServer.call(c)).isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
                            .isEqualTo(Status.Code.UNAVAILABLE));
        }
        assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("ejected r1/z1 CONSECUTIVE_5XX");
        assertThat(z1.calls()).isEqualTo(23);

        // Priority 0 has no healthy host: everything goes to priority 1, r1/z2; none to r2.
        assertThat(calls(c, 20)).containsExactly(Map.entry("r1/z2", 20));
        assertThat(counts()).isEqualTo(Map.of("r1/z1", 23, "r1/z2", 20, "r2/z1", 0));

        // Healed; the host returns at the first sweep after its 30 s ejection (Envoy's
        // DetectorImpl::checkHostForUneject), and takes everything again.
        z1.answer();
        clock.advance(Duration.ofSeconds(31));
        assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("returned r1/z1");
        assertThat(calls(c, 20)).containsExactly(Map.entry("r1/z1", 20));

        // Both r1 servers stop: their subchannels fail to connect, so their hosts are unhealthy,
        // and priority 2, the other region, serves. A call that started on a connection the server
        // was closing may fail, as it would through a sidecar without retries; none may go astray.
        z1.stop();
        z2.stop();
        ZoneServer.awaitServedBy(c, "r2/z1", 2);
        assertThat(calls(c, 20)).containsExactly(Map.entry("r2/z1", 20));
        assertThat(r2.calls()).isEqualTo(21);
    }

    @Test
    void theServiceConfigCarriesTheOutlierDetectionAndTheCallerWhenTheDirectoryHasNoRule() throws Exception {
        MeshDirectorySource source = source(mesh(threeZones(), null));
        ManagedChannel c = NettyChannelBuilder.forTarget("meridian:///reviews.default.svc.cluster.local:9080")
                .usePlaintext()
                .defaultServiceConfig(Map.of("loadBalancingConfig", List.of(Map.of("meridian_locality", Map.of(
                        "callerLocality", "r1/z2",
                        "outlierDetection", Map.of("consecutive5xxErrors", 2.0, "interval", "1s",
                                "baseEjectionTime", "30s", "maxEjectionPercent", 100.0))))))
                .setNameResolverArg(MeridianNameResolverProvider.SOURCE, source)
                .setNameResolverArg(MeridianLocalityLoadBalancerProvider.CLOCK, clock)
                .setNameResolverArg(MeridianLocalityLoadBalancerProvider.EJECTION_LISTENER, new Events(events))
                .build();
        channels.add(c);

        assertThat(calls(c, 10)).containsExactly(Map.entry("r1/z2", 10));
        // INTERNAL maps to 500, a 5xx too; two in a row eject (consecutive5xxErrors: 2).
        z2.fail(Status.INTERNAL);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> ZoneServer.call(c)).isInstanceOf(StatusRuntimeException.class);
        }
        assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("ejected r1/z2 CONSECUTIVE_5XX");
        assertThat(calls(c, 10)).containsExactly(Map.entry("r1/z1", 10));
        assertThat(r2.calls()).isZero();
    }

    @Test
    void aClientErrorStatusIsNoOutlierSignal() throws Exception {
        ManagedChannel c = channel("meridian:///reviews", source(mesh(threeZones(), OUTLIER_POLICY)));
        calls(c, 1);
        // NOT_FOUND is Envoy's 404: not a 5xx, so it ends a run instead of extending it.
        z1.fail(Status.NOT_FOUND);
        for (int i = 0; i < 10; i++) {
            assertThatThrownBy(() -> ZoneServer.call(c)).isInstanceOf(StatusRuntimeException.class);
        }
        z1.answer();
        assertThat(calls(c, 5)).containsExactly(Map.entry("r1/z1", 5));
        assertThat(events).isEmpty();
    }

    @Test
    void aSlowPeerTimesOutAndIsEjectedForIt() throws Exception {
        ManagedChannel c = channel("meridian:///reviews", source(mesh(threeZones(), OUTLIER_POLICY)));
        calls(c, 1);
        // The deadline expires locally before any response: Envoy's LocalOriginTimeout, a 504
        // without split local-origin errors (DetectorHostMonitorImpl::putResult).
        z1.hang();
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> ZoneServer.call(c, 300)).isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
                            .isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        }
        assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("ejected r1/z1 CONSECUTIVE_5XX");
        assertThat(calls(c, 5)).containsExactly(Map.entry("r1/z2", 5));
    }

    @Test
    void aMalformedResponseFailsTheCallButIsNoOutlierSignal() throws Exception {
        ManagedChannel c = channel("meridian:///reviews", source(mesh(threeZones(), OUTLIER_POLICY)));
        calls(c, 1);
        // The response headers said 200, which is what Envoy's outlier detection saw
        // (Filter::onUpstreamHeaders); the body is the client's problem.
        z1.malformed();
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> ZoneServer.call(c)).isInstanceOf(StatusRuntimeException.class)
                    .hasMessageContaining("Failed to read message");
        }
        z1.answer();
        assertThat(calls(c, 5)).containsExactly(Map.entry("r1/z1", 5));
        assertThat(events).isEmpty();
        assertThat(z1.calls()).isEqualTo(11);
    }

    @Test
    void anEndpointNobodyListensOnIsUnhealthyFromItsFirstFailedConnection() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        Map<String, Integer> zones = new LinkedHashMap<>();
        zones.put("r1/z1", dead);
        zones.put("r1/z2", z2.port());
        zones.put("r2/z1", r2.port());
        ManagedChannel c = channel("meridian:///reviews", source(mesh(zones, OUTLIER_POLICY)));
        // The first connection attempt to every endpoint ends before calls are balanced (Envoy's
        // warm-up with health checks): r1/z1 has failed, so its priority has no healthy host.
        assertThat(calls(c, 10)).containsExactly(Map.entry("r1/z2", 10));
    }

    @Test
    void withoutOutlierDetectionIstioAppliesNoFailoverAndEveryLocalityShares() throws Exception {
        // Istio applies locality failover only with outlier detection (applyLocalityLoadBalancer):
        // all three endpoints sit in priority 0 and round robin spreads over them. (Picks come from
        // the calling thread and from the channel's threads when a call waited, so the rotation is
        // not one sequence: each gets about a third.)
        ManagedChannel c = channel("meridian:///reviews", source(mesh(threeZones(), "loadBalancer: {simple: ROUND_ROBIN}\n")));
        Map<String, Integer> by = calls(c, 60);
        assertThat(by).containsOnlyKeys("r1/z1", "r1/z2", "r2/z1");
        assertThat(by.values()).allSatisfy(n -> assertThat(n).isBetween(10, 30));
    }

    /** Turns ejections into lines on a queue, with the endpoint's locality as its name. */
    static final class Events implements EjectionListener {
        private final BlockingQueue<String> queue;

        Events(BlockingQueue<String> queue) {
            this.queue = queue;
        }

        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            queue.add("ejected " + table.endpoint(hostId).locality() + " " + type);
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
            queue.add("returned " + table.endpoint(hostId).locality());
        }
    }
}
